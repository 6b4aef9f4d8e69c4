using LetsChat.RoomService.Redis;

namespace LetsChat.Tests;

public class RedisScriptsTests
{
    [Theory]
    [InlineData("publish")]
    [InlineData("update")]
    [InlineData("read")]
    [InlineData("presence")]
    public void OnAClusterEveryPublishOfAScriptIsSharded(string script)
    {
        var classic = (script switch
        {
            "publish" => RedisScripts.Publish,
            "update" => RedisScripts.Update,
            "read" => RedisScripts.Read,
            _ => RedisScripts.Presence,
        }).Text;
        var sharded = RedisTopology.Sharded(new RedisScript(classic)).Text;

        Assert.DoesNotContain("redis.call('PUBLISH'", sharded);
        Assert.Equal(Count(classic, "redis.call('PUBLISH'"), Count(sharded, "redis.call('SPUBLISH'"));
        Assert.True(Count(classic, "redis.call('PUBLISH'") >= 1);
        Assert.Equal(classic.Replace("redis.call('PUBLISH'", "redis.call('SPUBLISH'", StringComparison.Ordinal), sharded);
    }

    private static int Count(string text, string what) => text.Split(what).Length - 1;
}

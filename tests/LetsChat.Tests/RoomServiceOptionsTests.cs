using LetsChat.RoomService;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LetsChat.Tests;

/// <summary>Options out of range stop the service at start, with a message naming the option (no silent clamp).</summary>
public class RoomServiceOptionsTests
{
    private static RoomServiceOptions Bind(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create<string, string?>($"{RoomServiceOptions.SectionName}:{s.Key}", s.Value)))
            .Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddOptions<RoomServiceOptions>().BindConfiguration(RoomServiceOptions.SectionName).ValidateDataAnnotations();
        return services.BuildServiceProvider().GetRequiredService<IOptions<RoomServiceOptions>>().Value;
    }

    [Fact]
    public void TheDefaultsAreValid() => Assert.Equal(2, Bind().FeedCheckSeconds);

    [Theory]
    [InlineData("FeedCheckSeconds", "0", "LetsChat:Rooms:FeedCheckSeconds must be from 1 to 86400.")]
    [InlineData("PresenceTtlSeconds", "2", "LetsChat:Rooms:PresenceTtlSeconds must be from 3 to 86400.")]
    [InlineData("MaxFrameBytes", "100", "LetsChat:Rooms:MaxFrameBytes must be from 256 to")]
    [InlineData("ReplicaWaitMilliseconds", "0", "LetsChat:Rooms:ReplicaWaitMilliseconds must be from 1 to 60000.")]
    [InlineData("TypingIntervalMilliseconds", "-1", "LetsChat:Rooms:TypingIntervalMilliseconds must be from 0 to")]
    [InlineData("RetentionDays", "0", "LetsChat:Rooms:RetentionDays must be from 1 to 3650.")]
    [InlineData("MaxConnectionsPerUser", "0", "LetsChat:Rooms:MaxConnectionsPerUser must be from 1 to")]
    [InlineData("SendBufferBytes", "1000", "LetsChat:Rooms:SendBufferBytes must be at least MaxFrameBytes.")]
    [InlineData("MaxStoredMessageBytes", "2000", "LetsChat:Rooms:MaxStoredMessageBytes must hold a message of MaxMessageChars")]
    [InlineData("HistoryFrameBytes", "1024", "LetsChat:Rooms:HistoryFrameBytes must hold a message of MaxStoredMessageBytes.")]
    public void AnOptionOutOfRangeIsRefusedByName(string option, string value, string message)
    {
        var refused = Assert.Throws<OptionsValidationException>(() => Bind((option, value)));

        Assert.Contains(refused.Failures, f => f.Contains(message, StringComparison.Ordinal));
    }
}

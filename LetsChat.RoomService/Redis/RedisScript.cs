using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace LetsChat.RoomService.Redis;

/// <summary>
/// A Lua script called by its SHA-1 (EVALSHA). StackExchange.Redis's text overload looks the text
/// up in a table on every call, which hashes all of it: 8 KB per message for publish.lua, about 2 % of
/// the room service's samples at 20,000 deliveries/s (docs/benchmarks.md). A server that does not know the
/// script (new, restarted, failed over, SCRIPT FLUSH) answers NOSCRIPT; the text is then sent once
/// with EVAL, which also caches it there.
/// </summary>
public sealed class RedisScript(string text)
{
    public string Text { get; } = text;

    // Redis names a script by its SHA-1; this is an identifier, not security.
#pragma warning disable CA5350
    private readonly byte[] _hash = SHA1.HashData(Encoding.UTF8.GetBytes(text));
#pragma warning restore CA5350

    public async Task<RedisResult> EvaluateAsync(IDatabaseAsync db, RedisKey[] keys, RedisValue[] args)
    {
        try
        {
            return await db.ScriptEvaluateAsync(_hash, keys, args);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await db.ScriptEvaluateAsync(Text, keys, args);
        }
    }
}

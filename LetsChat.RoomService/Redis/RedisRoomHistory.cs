using LetsChat.RoomService.Rooms;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LetsChat.RoomService.Redis;

/// <summary>History from the room's sorted set, read with read.lua (epoch, bounds and slice in one step).</summary>
public sealed class RedisRoomHistory(IConnectionMultiplexer redis, RedisTopology topology, IOptions<RoomServiceOptions> options) : IRoomHistory
{
    public Task<HistoryPage> LatestAsync(string room, int limit, bool create, CancellationToken cancellationToken) =>
        ReadAsync(room, "latest", 0, limit, create, cancellationToken);

    public Task<HistoryPage> AfterAsync(string room, long afterSeq, int limit, bool create, CancellationToken cancellationToken) =>
        ReadAsync(room, "after", afterSeq, limit, create, cancellationToken);

    public Task<HistoryPage> BeforeAsync(string room, long beforeSeq, int limit, CancellationToken cancellationToken) =>
        ReadAsync(room, "before", beforeSeq, limit, create: false, cancellationToken);

    public async Task<LogHead> HeadAsync(string room, (string? Epoch, long Seq) seen, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var fresh = RedisRoomBroker.NewEpoch();
        var result = (RedisResult[])(await topology.ReadScript.EvaluateAsync(
            redis.GetDatabase(),
            RedisKeys.Log(room),
            ["after", seen.Seq, 0, "", options.Value.RetentionSeconds, seen.Epoch ?? "", seen.Seq, fresh, RedisKeys.LiveChannel(room)]))!;
        var epoch = (string)result[0]!;
        return new LogHead(epoch.Length == 0 ? null : epoch, (long)result[1], Rewound: epoch == fresh);
    }

    private async Task<HistoryPage> ReadAsync(string room, string mode, long bound, int limit, bool create, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // A read that may create the log may also find it without its epoch; it then announces the new one.
        // A page carries at most about one frame's bytes (HistoryFrameBytes), read or not: a join
        // to a room of large messages costs Redis that much, not 50 of them.
        var fresh = RedisRoomBroker.NewEpoch();
        var o = options.Value;
        RedisValue[] args = create
            ? [mode, bound, limit, fresh, o.RetentionSeconds, "", 0, fresh, RedisKeys.LiveChannel(room), o.EmptyRoomSeconds, o.HistoryFrameBytes]
            : [mode, bound, limit, "", o.RetentionSeconds, "", 0, "", "", o.EmptyRoomSeconds, o.HistoryFrameBytes];
        var result = (RedisResult[])(await topology.ReadScript.EvaluateAsync(redis.GetDatabase(), RedisKeys.Log(room), args))!;

        var epoch = (string)result[0]!;
        var messages = RoomRecords.ReadPage(room, epoch, result.Skip(4).Select(r => (ReadOnlyMemory<byte>)(byte[])r!));
        return new HistoryPage(epoch.Length == 0 ? null : epoch, (long)result[1], (long)result[2], (long)result[3] == 1, messages);
    }
}

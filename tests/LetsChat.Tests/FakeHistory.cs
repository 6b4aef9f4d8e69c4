using LetsChat.RoomService.Rooms;

namespace LetsChat.Tests;

/// <summary>A room log in memory, for testing how LocalRooms fills gaps; records what it was asked.</summary>
internal sealed class FakeHistory : IRoomHistory
{
    public List<RoomEvent> Log { get; } = [];

    public List<(string Room, long After, int Limit)> AfterCalls { get; } = [];

    public Exception? Fail { get; set; }

    public Task<HistoryPage> AfterAsync(string room, long afterSeq, int limit, bool create, CancellationToken cancellationToken)
    {
        AfterCalls.Add((room, afterSeq, limit));
        if (Fail is { } failure)
        {
            throw failure;
        }
        var epoch = Log.Count > 0 ? Log[^1].Epoch : null;
        var messages = Log.Where(m => m.Epoch == epoch && m.Seq > afterSeq).Take(limit).ToList();
        return Task.FromResult(new HistoryPage(epoch, Log.Count > 0 ? Log[^1].Seq : 0, 1, false, messages));
    }

    /// <summary>Like read.lua: a log behind <paramref name="seen"/> in the same epoch is re-labelled with a new epoch.</summary>
    public Task<LogHead> HeadAsync(string room, (string? Epoch, long Seq) seen, CancellationToken cancellationToken)
    {
        AfterCalls.Add((room, seen.Seq, 0));
        if (Fail is { } failure)
        {
            throw failure;
        }
        var epoch = Log.Count > 0 ? Log[^1].Epoch : null;
        var last = Log.Count > 0 ? Log[^1].Seq : 0;
        if (epoch is not null && epoch == seen.Epoch && last < seen.Seq)
        {
            var fresh = epoch + "-rewound";
            var kept = Log.Select(m => TestRooms.MessageEvent(m.Seq, m.Text!, fresh)).ToList();
            Log.Clear();
            Log.AddRange(kept);
            return Task.FromResult(new LogHead(fresh, last, Rewound: true));
        }
        return Task.FromResult(new LogHead(epoch, last, Rewound: false));
    }

    public Task<HistoryPage> LatestAsync(string room, int limit, bool create, CancellationToken cancellationToken)
    {
        var epoch = Log.Count > 0 ? Log[^1].Epoch : null;
        var messages = Log.Where(m => m.Epoch == epoch).TakeLast(limit).ToList();
        return Task.FromResult(new HistoryPage(epoch, Log.Count > 0 ? Log[^1].Seq : 0, 1, Log.Count > messages.Count, messages));
    }

    public Task<HistoryPage> BeforeAsync(string room, long beforeSeq, int limit, CancellationToken cancellationToken) =>
        throw new NotSupportedException();
}

using LetsChat.RoomService.Redis;
using StackExchange.Redis;

namespace LetsChat.Tests;

/// <summary>
/// One master's replica confirmations, with its WAITs in the test's hands: each WAIT is a task the
/// test answers (with how many replicas have the writes), so what is sent when can be read off.
/// </summary>
public sealed class ReplicaAcksTests
{
    private readonly List<TaskCompletionSource<long>> _waits = [];
    private bool _hasReplica = true;
    private int _roleAsked;

    private ReplicaAcks.Master NewMaster() => new(
        () =>
        {
            lock (_waits)
            {
                var wait = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waits.Add(wait);
                return wait.Task;
            }
        },
        () =>
        {
            Interlocked.Increment(ref _roleAsked);
            return Task.FromResult(_hasReplica);
        },
        500, TestRooms.Telemetry);

    private int WaitsSent
    {
        get
        {
            lock (_waits)
            {
                return _waits.Count;
            }
        }
    }

    private TaskCompletionSource<long> Wait(int i)
    {
        lock (_waits)
        {
            return _waits[i];
        }
    }

    [Fact]
    public async Task ASendAloneGetsAWaitOfItsOwnAndIsAckedWhenAReplicaHasIt()
    {
        var master = NewMaster();

        var ack = master.ConfirmAsync();
        Assert.Equal(1, WaitsSent);
        Assert.False(ack.IsCompleted);
        Wait(0).SetResult(1);
        await ack.WaitAsync(TimeSpan.FromSeconds(5));

        var second = master.ConfirmAsync(); // the first WAIT has returned: a new one
        await Eventually(() => WaitsSent == 2);
        Wait(1).SetResult(1);
        await second.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task SendsAnsweredWhileAWaitIsOnItsWayShareTheNextOne()
    {
        var master = NewMaster();
        var first = master.ConfirmAsync();
        // Five more scripts answered while the first WAIT is out: it may have been sent before them.
        var others = Enumerable.Range(0, 5).Select(_ => master.ConfirmAsync()).ToList();
        Assert.Equal(1, WaitsSent);

        Wait(0).SetResult(1);
        await first.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.All(others, o => Assert.False(o.IsCompleted)); // not covered by the first
        await Eventually(() => WaitsSent == 2);                 // one WAIT for all five, sent when the first returned
        Wait(1).SetResult(1);
        await Task.WhenAll(others).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(2, WaitsSent);
    }

    [Fact]
    public async Task AReplicaThatDidNotConfirmInTimeRefusesTheSend()
    {
        var master = NewMaster();

        var ack = master.ConfirmAsync();
        Wait(0).SetResult(0);

        var e = await Assert.ThrowsAsync<RedisTimeoutException>(() => ack.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains("500 ms", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFailedWaitFailsEverySendWaitingForIt()
    {
        var master = NewMaster();
        var first = master.ConfirmAsync();
        var others = Enumerable.Range(0, 3).Select(_ => master.ConfirmAsync()).ToList();
        Wait(0).SetResult(1);
        await first.WaitAsync(TimeSpan.FromSeconds(5));
        await Eventually(() => WaitsSent == 2);

        Wait(1).SetException(new RedisConnectionException(ConnectionFailureType.SocketFailure, "gone"));

        foreach (var other in others)
        {
            await Assert.ThrowsAsync<RedisConnectionException>(() => other.WaitAsync(TimeSpan.FromSeconds(5)));
        }
        // And the next send is not stuck behind it.
        var next = master.ConfirmAsync();
        await Eventually(() => WaitsSent == 3);
        Wait(2).SetResult(1);
        await next.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task AMasterWithoutAReplicaAcksOnItsOwnLogAndIsNotWaitedOnForASecond()
    {
        var master = NewMaster();
        _hasReplica = false;

        var ack = master.ConfirmAsync();
        Wait(0).SetResult(0);
        await ack.WaitAsync(TimeSpan.FromSeconds(5)); // acked: no replica to wait for
        Assert.Equal(1, _roleAsked);

        await master.ConfirmAsync().WaitAsync(TimeSpan.FromSeconds(5)); // within the second: neither WAIT nor ROLE
        Assert.Equal((1, 1), (WaitsSent, _roleAsked));
    }

    private static async Task Eventually(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (!condition())
        {
            await Task.Delay(5, cts.Token); // polls a continuation on the thread pool
        }
    }
}

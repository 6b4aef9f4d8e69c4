namespace LetsChat.IntegrationTests;

/// <summary>Waiting for a condition instead of sleeping: polls until it holds, or fails saying what was awaited and what was seen.</summary>
public static class Eventually
{
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(100);

    public static async Task TrueAsync(Func<bool> condition, TimeSpan within, Func<string> describe)
    {
        using var cts = new CancellationTokenSource(within);
        await TrueAsync(condition, cts.Token, describe);
    }

    /// <summary>Until <paramref name="condition"/> holds; a <see cref="TimeoutException"/> with <paramref name="describe"/> when <paramref name="ct"/> ends first.</summary>
    public static async Task TrueAsync(Func<bool> condition, CancellationToken ct, Func<string> describe)
    {
        while (!condition())
        {
            if (ct.IsCancellationRequested)
            {
                throw new TimeoutException($"Still waiting: {describe()}");
            }
            await Task.Delay(s_poll, CancellationToken.None);
        }
    }
}

namespace LetsChat.IntegrationTests;

/// <summary>
/// Waiting for a condition instead of sleeping: polls until it holds, or fails with a
/// <see cref="TimeoutException"/> saying what was awaited and what was seen. The only poll loop
/// of the tests.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1068", Justification = "The description, the longest argument, reads best last.")]
public static class Eventually
{
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(100);

    public static async Task TrueAsync(Func<bool> condition, TimeSpan within, Func<string> describe)
    {
        using var cts = new CancellationTokenSource(within);
        await TrueAsync(condition, cts.Token, describe);
    }

    /// <summary>Until <paramref name="condition"/> holds, or <paramref name="ct"/> ends.</summary>
    public static Task TrueAsync(Func<bool> condition, CancellationToken ct, Func<string> describe) =>
        ValueAsync(() => Task.FromResult(condition() ? "" : null), ct, describe);

    /// <summary>Until <paramref name="probe"/> gives a value; returns it.</summary>
    public static Task<T> ValueAsync<T>(Func<T?> probe, CancellationToken ct, Func<string> describe) where T : class =>
        ValueAsync(() => Task.FromResult(probe()), ct, describe);

    /// <summary>
    /// Until <paramref name="probe"/> gives a value; returns it. An HTTP failure counts as "not yet"
    /// (a service between states), and is named in the timeout's message.
    /// </summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T?>> probe, CancellationToken ct, Func<string> describe) where T : class
    {
        HttpRequestException? lastFailure = null;
        while (true)
        {
            try
            {
                if (await probe() is { } value)
                {
                    return value;
                }
            }
            catch (HttpRequestException e)
            {
                lastFailure = e;
            }
            if (ct.IsCancellationRequested)
            {
                throw new TimeoutException($"Still waiting: {describe()}" + (lastFailure is null ? "" : $" (last HTTP failure: {lastFailure.Message})"));
            }
            await Task.Delay(s_poll, CancellationToken.None);
        }
    }
}

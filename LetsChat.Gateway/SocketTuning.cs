namespace LetsChat.Gateway;

/// <summary>
/// The gateway is a byte pump: every WebSocket frame it relays is a read on one socket and a write
/// on another. Running socket completions inline on the epoll thread (instead of queueing each to
/// the thread pool) cut its CPU per relayed frame by about 9 % at 20,000 frames/s with no change in
/// p99 (docs/benchmarks.md). The room service runs application code on its sockets and measured no
/// gain, so it keeps the default.
/// </summary>
public static class SocketTuning
{
    /// <summary>Call first thing in Main: System.Net.Sockets reads the switch once, when the first socket is used.</summary>
    public static void PreferInlineCompletions()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
        {
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        }
    }
}

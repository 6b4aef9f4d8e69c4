using System.Collections.Concurrent;
using System.Net;

namespace LetsChat.RoomService.Security;

/// <summary>
/// At most N sockets per client network on this replica: an IPv4 address, or an IPv6 /64
/// (<see cref="ClientNetwork"/>). The client's address is the one the gateway put in
/// X-Forwarded-For (believed only from loopback and LetsChat:TrustedProxies; see TrustedProxies in ServiceDefaults).
/// </summary>
public sealed class ConnectionCap(int perAddress)
{
    private readonly ConcurrentDictionary<string, int> _open = new();

    /// <summary>Takes a slot for <paramref name="address"/>; dispose the result to give it back. Null when full.</summary>
    public IDisposable? TryTake(IPAddress? address)
    {
        var key = ClientNetwork.Of(address);
        while (true)
        {
            var current = _open.GetOrAdd(key, 0);
            if (current >= perAddress)
            {
                return null;
            }
            if (_open.TryUpdate(key, current + 1, current))
            {
                return new Slot(this, key);
            }
        }
    }

    private void Release(string key)
    {
        while (true)
        {
            var current = _open[key];
            if (current == 1 ? _open.TryRemove(KeyValuePair.Create(key, 1)) : _open.TryUpdate(key, current - 1, current))
            {
                return;
            }
        }
    }

    private sealed class Slot(ConnectionCap cap, string key) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                cap.Release(key);
            }
        }
    }
}

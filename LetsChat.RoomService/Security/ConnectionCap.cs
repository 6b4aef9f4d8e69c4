using System.Collections.Concurrent;
using System.Net;

namespace LetsChat.RoomService.Security;

/// <summary>
/// At most N sockets per client IP on this replica. The client IP is the one the gateway put in
/// X-Forwarded-For (believed only from loopback and LetsChat:TrustedProxies; see TrustedProxies in ServiceDefaults).
/// </summary>
public sealed class ConnectionCap(int perAddress)
{
    private readonly ConcurrentDictionary<IPAddress, int> _open = new();

    /// <summary>Takes a slot for <paramref name="address"/>; dispose the result to give it back. Null when full.</summary>
    public IDisposable? TryTake(IPAddress? address)
    {
        var key = address ?? IPAddress.None;
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

    private void Release(IPAddress key)
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

    private sealed class Slot(ConnectionCap cap, IPAddress key) : IDisposable
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

namespace LetsChat.RoomService.Security;

/// <summary>
/// Cross-site WebSocket hijacking: a page on another site can open a socket to LetsChat, and the
/// browser sends the session cookie with it. Browsers always send Origin on a WebSocket upgrade,
/// so an upgrade whose Origin is neither this site nor on the allow-list is refused.
/// "This site" is the public host the gateway forwarded (X-Forwarded-Host, which YARP sets and
/// overwrites), else Host. Clients that are not browsers send no Origin and are not affected.
/// </summary>
public static class OriginPolicy
{
    public static bool IsAllowed(HttpRequest request, IReadOnlyCollection<string> allowedOrigins)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return true;
        }
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return false; // includes "null" (sandboxed frames, file: pages)
        }
        if (allowedOrigins.Any(allowed => string.Equals(allowed.TrimEnd('/'), origin.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }
        var publicHost = request.Headers["X-Forwarded-Host"].ToString() is { Length: > 0 } forwarded
            ? forwarded.Split(',')[0].Trim()
            : request.Host.Value;
        return string.Equals(uri.Authority, publicHost, StringComparison.OrdinalIgnoreCase);
    }
}

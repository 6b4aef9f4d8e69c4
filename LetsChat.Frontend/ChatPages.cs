namespace LetsChat.Frontend;

/// <summary>
/// The site is static files; this only says which file answers which path.
/// "/" and "/chat/" are the lobby; every "/chat/{room}/" is the one room page, which reads the
/// room name from its URL.
/// </summary>
public static class ChatPages
{
    public static WebApplication MapChatPages(this WebApplication app)
    {
        app.MapFallbackToFile("/", "index.html");
        app.MapFallbackToFile("/chat", "index.html");
        app.MapFallbackToFile("/chat/{room}", "room.html");
        return app;
    }

    /// <summary>
    /// Headers every page carries: scripts only from this origin (no inline script, so injected
    /// markup cannot run), sockets only to this origin, no MIME sniffing, no referrer leaks.
    /// </summary>
    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy =
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
                "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            return next(context);
        });
        return app;
    }
}

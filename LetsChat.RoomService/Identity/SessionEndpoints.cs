namespace LetsChat.RoomService.Identity;

/// <summary>
/// /api/session: POST {"name"} makes (or renames) a guest identity and sets the session cookie;
/// GET says who the cookie names; DELETE forgets it.
/// </summary>
public static class SessionEndpoints
{
    public static IEndpointRouteBuilder MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        var session = app.MapGroup("/api/session");
        session.MapPost("", Create);
        session.MapGet("", Get);
        session.MapDelete("", (HttpResponse response) =>
        {
            SessionCookie.Delete(response);
            return Results.NoContent();
        });
        return app;
    }

    private static IResult Create(SessionRequest? body, HttpContext context, SessionCookie cookie, Telemetry.RoomTelemetry telemetry)
    {
        if (DisplayName.Validate(body?.Name, out var name) is { } problem)
        {
            telemetry.SessionRefused("invalid_name");
            return Results.Problem(title: "Invalid name", detail: problem, statusCode: StatusCodes.Status400BadRequest,
                extensions: new Dictionary<string, object?> { ["code"] = "invalid_name" });
        }
        // Keep the user id across renames: the same person, a new name.
        var id = cookie.TryRead(context.Request, out var existing) == SessionCookie.ReadResult.Valid ? existing!.Id : ChatUser.NewId();
        var user = new ChatUser(id, name);
        cookie.Write(context.Response, user);
        return Results.Ok(user);
    }

    private static IResult Get(HttpContext context, SessionCookie cookie) =>
        cookie.TryRead(context.Request, out var user) switch
        {
            SessionCookie.ReadResult.Valid => Results.Ok(user),
            SessionCookie.ReadResult.Invalid => InvalidSession(),
            _ => Results.Problem(title: "No session", detail: "POST /api/session with a name first.", statusCode: StatusCodes.Status401Unauthorized),
        };

    public static IResult InvalidSession() => Results.Problem(
        title: "Invalid session",
        detail: "The session cookie is not one this service issued, or it was altered. Sign in again.",
        statusCode: StatusCodes.Status401Unauthorized);
}

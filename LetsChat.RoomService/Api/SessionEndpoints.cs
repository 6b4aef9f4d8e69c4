using LetsChat.RoomService.Identity;
using LetsChat.RoomService.Wire;
namespace LetsChat.RoomService.Api;

/// <summary>
/// /api/session: POST {"name"} makes (or renames) a guest identity and sets the session cookie;
/// GET says who the cookie names; DELETE forgets it (?everywhere=true: on every device).
/// </summary>
public static class SessionEndpoints
{
    public static IEndpointRouteBuilder MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        var session = app.MapGroup("/api/session");
        session.MapPost("", Create);
        session.MapGet("", Get);
        session.MapDelete("", Delete);
        return app;
    }

    // ?everywhere=true signs the user out on every device (every cookie issued so far, copies too);
    // without it only this browser forgets the cookie.
    private static async Task<IResult> Delete(HttpContext context, SessionCookie cookie, bool? everywhere)
    {
        if (everywhere == true)
        {
            var (read, user) = await cookie.ReadAsync(context.Request);
            if (read != SessionCookie.ReadResult.Valid)
            {
                return InvalidSession();
            }
            await cookie.RevokeAllAsync(user!);
        }
        SessionCookie.Delete(context.Response);
        return Results.NoContent();
    }

    private static async Task<IResult> Create(SessionRequest? body, HttpContext context, SessionCookie cookie, Telemetry.RoomTelemetry telemetry)
    {
        if (DisplayName.Validate(body?.Name, out var name) is { } problem)
        {
            telemetry.SessionRefused("invalid_name");
            return Results.Problem(title: "Invalid name", detail: problem, statusCode: StatusCodes.Status400BadRequest,
                extensions: new Dictionary<string, object?> { ["code"] = "invalid_name" });
        }
        // Keep the user id across renames: the same person, a new name.
        var (read, existing) = await cookie.ReadAsync(context.Request);
        var user = new ChatUser(read == SessionCookie.ReadResult.Valid ? existing!.Id : ChatUser.NewId(), name);
        await cookie.WriteAsync(context.Response, user);
        return Results.Ok(user);
    }

    private static async Task<IResult> Get(HttpContext context, SessionCookie cookie) =>
        await cookie.ReadAsync(context.Request) switch
        {
            (SessionCookie.ReadResult.Valid, var user) => Results.Ok(user),
            (SessionCookie.ReadResult.Invalid, _) => InvalidSession(),
            _ => Results.Problem(title: "No session", detail: "POST /api/session with a name first.", statusCode: StatusCodes.Status401Unauthorized),
        };

    public const string InvalidSessionTitle = "Invalid session";

    public const string InvalidSessionDetail = "The session cookie is not one this service issued, or it was altered. Sign in again.";

    public static IResult InvalidSession() =>
        Results.Problem(title: InvalidSessionTitle, detail: InvalidSessionDetail, statusCode: StatusCodes.Status401Unauthorized);
}

using LetsChat.RoomService.Rooms;
namespace LetsChat.RoomService.Api;

/// <summary>GET /api/rooms?limit=: rooms with people in them, most members first.</summary>
public static class RoomDirectoryEndpoints
{
    private const int MaxLimit = 100;

    public static IEndpointRouteBuilder MapRoomDirectoryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/rooms", async (string? limit, IRoomPresence presence, CancellationToken ct) =>
        {
            var count = 20;
            if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, null, out count) || count is < 1 or > MaxLimit))
            {
                return Results.Problem(title: "Invalid limit", detail: $"limit must be a whole number from 1 to {MaxLimit}.", statusCode: StatusCodes.Status400BadRequest);
            }
            return Results.Ok(await presence.ActiveRoomsAsync(count, ct));
        });
        return app;
    }
}

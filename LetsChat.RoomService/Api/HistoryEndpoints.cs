using LetsChat.RoomService.Rooms;
using LetsChat.RoomService.Wire;
using Microsoft.Extensions.Options;

namespace LetsChat.RoomService.Api;

/// <summary>GET /api/rooms/{room}/messages?before=&amp;limit=: pages of history over plain HTTP.</summary>
public static class HistoryEndpoints
{
    public static IEndpointRouteBuilder MapHistoryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/rooms/{room}/messages", GetMessagesAsync);
        return app;
    }

    private static async Task<IResult> GetMessagesAsync(
        string room, string? before, string? limit, IRoomHistory history, IOptions<RoomServiceOptions> options, CancellationToken ct)
    {
        var max = options.Value.HistoryPageMax;
        if (RoomName.Validate(room) is { } invalid)
        {
            return Results.Problem(title: "Invalid room name", detail: invalid, statusCode: StatusCodes.Status400BadRequest);
        }
        if (!TryParse(limit, 1, max, options.Value.JoinHistory, out var pageSize))
        {
            return Results.Problem(title: "Invalid limit", detail: $"limit must be a whole number from 1 to {max}.", statusCode: StatusCodes.Status400BadRequest);
        }
        if (!TryParse(before, 1, long.MaxValue, long.MaxValue, out var beforeSeq))
        {
            return Results.Problem(title: "Invalid before", detail: "before must be a message seq (a whole number from 1).", statusCode: StatusCodes.Status400BadRequest);
        }

        var page = before is null
            ? await history.LatestAsync(room, (int)pageSize, create: false, ct)
            : await history.BeforeAsync(room, beforeSeq, (int)pageSize, ct);
        return Results.Bytes(
            V1Frames.History("history", page.Epoch, page.V1, page.More, before is null ? null : beforeSeq, room: room),
            "application/json");
    }

    private static bool TryParse(string? text, long min, long max, long fallback, out long value)
    {
        value = fallback;
        return text is null || (long.TryParse(text, System.Globalization.NumberStyles.None, null, out value) && value >= min && value <= max);
    }
}

using Microsoft.AspNetCore.Diagnostics;
using StackExchange.Redis;

namespace LetsChat.RoomService.Redis;

/// <summary>
/// Any HTTP request (session, history, rooms, an upgrade before its 101) that fails because Redis
/// cannot be reached answers 503 with problem details and Retry-After, not a bare 500: the client
/// should retry, and nothing is wrong with its request.
/// </summary>
public sealed partial class RedisUnavailableHandler(IProblemDetailsService problems, ILogger<RedisUnavailableHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (RedisException or TimeoutException))
        {
            return false;
        }
        LogUnavailable(logger, httpContext.Request.Method, httpContext.Request.Path, exception.Message);
        var context = httpContext;
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "2";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Chat unavailable",
                Detail = "The room service cannot reach its message broker; try again shortly.",
                Extensions = { ["code"] = "unavailable" },
            },
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path}: Redis unavailable ({Error}); answered 503")]
    private static partial void LogUnavailable(ILogger logger, string method, string path, string error);
}

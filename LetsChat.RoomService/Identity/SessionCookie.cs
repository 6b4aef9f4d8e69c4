using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using LetsChat.RoomService.Redis;
using LetsChat.RoomService.Wire;
using Microsoft.AspNetCore.DataProtection;
using StackExchange.Redis;

namespace LetsChat.RoomService.Identity;

/// <summary>
/// A guest session: the user's id and name, when it was issued and the user's session version,
/// signed and encrypted with ASP.NET Core Data Protection. The key ring lives in Redis, so every
/// replica reads every replica's cookies. Signing out everywhere bumps the user's version in
/// Redis (<see cref="RedisKeys.SessionVersion"/>): every cookie issued before then, copies
/// included, is refused from that moment. A cookie older than its lifetime is refused too, even
/// if the browser kept it.
/// </summary>
public sealed class SessionCookie(IDataProtectionProvider provider, IConnectionMultiplexer redis, TimeProvider clock)
{
    public const string Name = "letschat_session";

    /// <summary>The name over HTTPS: the browser then refuses it from any other host or path, or without Secure.</summary>
    public const string SecureName = "__Host-" + Name;

    private static readonly TimeSpan s_lifetime = TimeSpan.FromDays(30);

    private readonly IDataProtector _protector = provider.CreateProtector("LetsChat.Session.v2");

    public enum ReadResult { None, Valid, Invalid }

    public async Task<(ReadResult Result, ChatUser? User)> ReadAsync(HttpRequest request)
    {
        var (present, ticket) = Unprotect(request);
        if (!present)
        {
            return (ReadResult.None, null);
        }
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        // A cookie we signed but whose content no longer passes today's rules is not honoured either.
        if (ticket is null || !ticket.Id.StartsWith("u_", StringComparison.Ordinal) || DisplayName.Validate(ticket.Name, out _) is not null
            || now - ticket.IssuedAt > s_lifetime.TotalSeconds || ticket.Version != await VersionAsync(ticket.Id))
        {
            return (ReadResult.Invalid, null);
        }
        return (ReadResult.Valid, new ChatUser(ticket.Id, ticket.Name));
    }

    /// <summary>
    /// The user id a cookie we signed names, without asking Redis whether it was revoked: enough to
    /// count requests per user (RequestLimits), never to let anyone in.
    /// </summary>
    public string? PeekUserId(HttpRequest request) => Unprotect(request).Ticket?.Id;

    private (bool Present, Ticket? Ticket) Unprotect(HttpRequest request)
    {
        if (!request.Cookies.TryGetValue(NameFor(request), out var value) || string.IsNullOrEmpty(value))
        {
            return (false, null);
        }
        try
        {
            return (true, JsonSerializer.Deserialize(_protector.Unprotect(value), SessionJsonContext.Default.Ticket));
        }
        catch (Exception ex) when (ex is CryptographicException or JsonException or FormatException)
        {
            return (true, null);
        }
    }

    public async Task WriteAsync(HttpResponse response, ChatUser user)
    {
        // Issuing keeps the user's version alive as long as the cookie (it expires with the last cookie it guards).
        var version = await VersionAsync(user.Id);
        await redis.GetDatabase().KeyExpireAsync(RedisKeys.SessionVersion(user.Id), s_lifetime, ExpireWhen.Always);
        var ticket = new Ticket(user.Id, user.Name, clock.GetUtcNow().ToUnixTimeSeconds(), version);
        response.Cookies.Append(NameFor(response.HttpContext.Request), _protector.Protect(JsonSerializer.Serialize(ticket, SessionJsonContext.Default.Ticket)), Options(response));
    }

    /// <summary>Signs <paramref name="user"/> out on every device: every cookie issued so far is refused from now on.</summary>
    public async Task RevokeAllAsync(ChatUser user)
    {
        var db = redis.GetDatabase();
        await db.StringIncrementAsync(RedisKeys.SessionVersion(user.Id));
        await db.KeyExpireAsync(RedisKeys.SessionVersion(user.Id), s_lifetime);
    }

    public static void Delete(HttpResponse response) => response.Cookies.Delete(NameFor(response.HttpContext.Request), Options(response));

    private async Task<long> VersionAsync(string userId) => (long?)await redis.GetDatabase().StringGetAsync(RedisKeys.SessionVersion(userId)) ?? 0;

    private static string NameFor(HttpRequest request) => request.IsHttps ? SecureName : Name;

    private static CookieOptions Options(HttpResponse response) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Secure = response.HttpContext.Request.IsHttps,
        Path = "/",
        MaxAge = s_lifetime,
        IsEssential = true,
    };

    /// <summary>What the cookie holds: the user, issued-at (Unix seconds) and the user's session version then.</summary>
    internal sealed record Ticket(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("iat")] long IssuedAt,
        [property: JsonPropertyName("ver")] long Version);
}

[JsonSerializable(typeof(SessionCookie.Ticket))]
internal sealed partial class SessionJsonContext : JsonSerializerContext;

using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace LetsChat.RoomService.Identity;

/// <summary>
/// A guest session: the user's id and name, signed and encrypted with ASP.NET Core Data
/// Protection. The key ring lives in Redis, so every replica reads every replica's cookies.
/// </summary>
public sealed class SessionCookie(IDataProtectionProvider provider)
{
    public const string Name = "letschat_session";
    private static readonly TimeSpan s_lifetime = TimeSpan.FromDays(30);

    private readonly IDataProtector _protector = provider.CreateProtector("LetsChat.Session.v1");

    public enum ReadResult { None, Valid, Invalid }

    public ReadResult TryRead(HttpRequest request, out ChatUser? user)
    {
        user = null;
        if (!request.Cookies.TryGetValue(Name, out var value) || string.IsNullOrEmpty(value))
        {
            return ReadResult.None;
        }
        try
        {
            user = JsonSerializer.Deserialize(_protector.Unprotect(value), IdentityJsonContext.Default.ChatUser);
        }
        catch (Exception ex) when (ex is CryptographicException or JsonException or FormatException)
        {
            return ReadResult.Invalid;
        }
        // A cookie we signed but whose content no longer passes today's rules is not honoured either.
        return user is not null && user.Id.StartsWith("u_", StringComparison.Ordinal) && DisplayName.Validate(user.Name, out _) is null
            ? ReadResult.Valid
            : ReadResult.Invalid;
    }

    public void Write(HttpResponse response, ChatUser user) =>
        response.Cookies.Append(Name, _protector.Protect(JsonSerializer.Serialize(user, IdentityJsonContext.Default.ChatUser)), Options(response));

    public static void Delete(HttpResponse response) => response.Cookies.Delete(Name, Options(response));

    private static CookieOptions Options(HttpResponse response) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Secure = response.HttpContext.Request.IsHttps,
        Path = "/",
        MaxAge = s_lifetime,
        IsEssential = true,
    };
}

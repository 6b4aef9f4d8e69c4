using System.Net.Http.Json;

namespace LetsChat.IntegrationTests;

/// <summary>Makes guest sessions through the gateway, as the browser does.</summary>
public static class Sessions
{
    public const string CookieName = "letschat_session";

    /// <summary>POST /api/session; returns the Cookie header value to send back.</summary>
    public static async Task<string> CreateAsync(ChatAppFixture app, string name, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = app.Gateway };
        using var response = await http.PostAsJsonAsync("/api/session", new { name }, ct);
        response.EnsureSuccessStatusCode();
        return CookieFrom(response);
    }

    public static string CookieFrom(HttpResponseMessage response)
    {
        var setCookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(CookieName + "=", StringComparison.Ordinal));
        return setCookie[..setCookie.IndexOf(';')];
    }

    /// <summary>The same cookie with one character of its protected payload changed.</summary>
    public static string Tamper(string cookie)
    {
        var chars = cookie.ToCharArray();
        var i = chars.Length - 10;
        chars[i] = chars[i] == 'A' ? 'B' : 'A';
        return new string(chars);
    }
}

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A Redis-protocol server run as a plain process (redis-server or the Garnet host), on loopback,
/// with a proxied "tcp" endpoint and a password. Its connection string is
/// <c>host:port,password=…</c>, what <c>AddRedisClient</c> consumes, so services reference it
/// exactly like Aspire's Redis container.
/// </summary>
public sealed class RedisProcessResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public ParameterResource Password { get; } = password;

    internal const string EndpointName = "tcp";

    private EndpointReference? _endpoint;

    public EndpointReference Endpoint => _endpoint ??= new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Endpoint.Property(EndpointProperty.HostAndPort)},password={Password}");
}

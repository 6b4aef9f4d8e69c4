namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A Redis-protocol server run as a plain process (redis-server or the Garnet host), with a
/// proxied "tcp" endpoint. Its connection string is <c>host:port</c>, which is what
/// <c>AddRedisClient</c> consumes, so services reference it exactly like Aspire's Redis container.
/// </summary>
public sealed class RedisProcessResource(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    internal const string EndpointName = "tcp";

    private EndpointReference? _endpoint;

    public EndpointReference Endpoint => _endpoint ??= new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Endpoint.Property(EndpointProperty.HostAndPort)}");
}

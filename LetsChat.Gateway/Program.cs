using LetsChat.Gateway;

SocketTuning.PreferInlineCompletions();
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddReverseProxy()
    .LoadFromMemory(ChatRoutes.Routes, ChatRoutes.Clusters)
    .AddServiceDiscoveryDestinationResolver();

var app = builder.Build();

// Behind a load balancer listed in LetsChat:TrustedProxies, the client's address is the one it
// reports; YARP then sends that address on to the room service in X-Forwarded-For.
app.UseForwardedHeaders();
app.UseWebSocketTelemetry();
app.MapDefaultEndpoints();
app.MapReverseProxy();

app.Run();

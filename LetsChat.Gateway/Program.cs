using LetsChat.Gateway;

SocketTuning.PreferInlineCompletions();
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddReverseProxy()
    .LoadFromMemory(ChatRoutes.Routes, ChatRoutes.Clusters)
    .AddServiceDiscoveryDestinationResolver();

var app = builder.Build();

app.UseWebSocketTelemetry();
app.MapDefaultEndpoints();
app.MapReverseProxy();

app.Run();

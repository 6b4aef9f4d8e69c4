using LetsChat.Frontend;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();

var app = builder.Build();

app.UseSecurityHeaders();
app.UseStaticFiles();
app.MapChatPages();
app.MapDefaultEndpoints();

app.Run();

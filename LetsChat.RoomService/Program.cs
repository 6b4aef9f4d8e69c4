var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRoomService();

var app = builder.Build();

app.MapRoomService();
app.MapDefaultEndpoints();

app.Run();

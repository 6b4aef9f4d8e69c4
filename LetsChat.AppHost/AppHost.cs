var builder = DistributedApplication.CreateBuilder(args);

var redis = builder.AddChatRedis("redis");

var rooms = builder.AddProject<Projects.LetsChat_RoomService>("rooms")
    .WithHttpEndpoint()
    .WithHttpHealthCheck("/health")
    .WithPublishedReplicas(2)
    .WithRoomSettings()
    .WithChatRedis(redis);

var frontend = builder.AddProject<Projects.LetsChat_Frontend>("frontend")
    .WithHttpEndpoint()
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.LetsChat_Gateway>("gateway")
    .WithChatEndpoint()
    .WithHttpHealthCheck("/health")
    .WithReference(rooms)
    .WithReference(frontend)
    .WaitFor(rooms)
    .WaitFor(frontend);

builder.Build().Run();

using System.Collections.Frozen;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// Every admin command, once: its name on the WebSocket, its request record, and the handler that answers it (by
/// area: <see cref="MonitorQueries"/>, <see cref="MonitorEdits"/>, <see cref="MonitorOperations"/>,
/// <see cref="MaintenanceCommands"/>, <see cref="AlertCommands"/>, <see cref="ChannelCommands"/>,
/// <see cref="ServerStatus"/>). REST endpoints send the same records through <see cref="AdminCommands"/>.
/// </summary>
internal static class AdminCommandTable
{
    /// <param name="Handler">Null for the commands the socket answers itself (<see cref="ISocketRequest"/>).</param>
    internal sealed record Command(string Name, Type Request, Func<IServiceProvider, IAdminRequest, string, CancellationToken, Task<object>>? Handler);

    public static readonly IReadOnlyList<Command> All =
    [
        Of<MonitorQueries, ListMonitors, MonitorsResponse>("monitors.list", (h, _, _, ct) => h.ListAsync(ct)),
        Of<MonitorQueries, GetMonitor, MonitorView>("monitors.get", (h, r, _, ct) => h.GetAsync(r.Slug!, ct)),
        Of<MonitorEdits, CreateMonitor, MonitorView>("monitors.create", (h, r, by, ct) => h.CreateAsync(r, by, ct)),
        Of<MonitorEdits, UpdateMonitor, MonitorView>("monitors.update", (h, r, by, ct) => h.UpdateAsync(r, by, ct)),
        Of<MonitorEdits, DeleteMonitor, DeletedMonitor>("monitors.delete", (h, r, by, ct) => h.DeleteAsync(r.Slug!, by, ct)),
        Of<MonitorOperations, PauseMonitor, MonitorView>("monitors.pause", (h, r, by, ct) => h.PauseAsync(r.Slug!, by, ct)),
        Of<MonitorOperations, ResumeMonitor, MonitorView>("monitors.resume", (h, r, by, ct) => h.ResumeAsync(r.Slug!, by, ct)),
        Of<MonitorOperations, CheckMonitorNow, CheckNowResult>("monitors.checkNow", (h, r, _, ct) => h.CheckNowAsync(r.Slug!, ct)),
        Of<MonitorQueries, ExportMonitors, System.Text.Json.Nodes.JsonObject>("monitors.export", (h, _, _, ct) => h.ExportAsync(ct)),
        Of<AlertCommands, ListAlerts, AlertsResponse>("alerts.list", (h, r, _, ct) => h.ListAsync(r, ct)),
        Of<AlertCommands, AcknowledgeAlert, Journal.AlertView>("alerts.ack", (h, r, by, ct) => h.AcknowledgeAsync(r.Id!.Value, by, r.Note, ct)),
        Of<MaintenanceCommands, CreateMaintenance, MaintenanceView>("maintenance.create", (h, r, by, ct) => h.CreateAsync(r, by, ct)),
        Of<MaintenanceCommands, DeleteMaintenance, DeletedMaintenance>("maintenance.delete", (h, r, _, ct) => h.DeleteAsync(r.Id!.Value, ct)),
        Of<ServerStatus, GetConfigStatus, ConfigStatus>("config.status", (h, _, _, ct) => h.ConfigAsync(ct)),
        Of<ServerStatus, GetStorageStatus, Journal.StorageStatus>("storage.status", (h, _, _, _) => Task.FromResult(h.Storage())),
        Of<ChannelCommands, ListChannels, ChannelsResponse>("channels.list", (h, _, _, _) => Task.FromResult(h.List())),
        Of<ChannelCommands, TestChannel, ChannelTestResult>("channels.test", (h, r, by, ct) => h.TestAsync(r.Channel!, by, ct)),
        Of<ChannelCommands, ListNotifications, NotificationsResponse>("notifications.list", (h, r, _, ct) => h.ListNotificationsAsync(r.Limit ?? 100, ct)),
        new("subscribe", typeof(Subscribe), null),
        new("unsubscribe", typeof(Unsubscribe), null),
        // REST only (no socket name is needed: REST reaches commands by their record).
        Of<MonitorQueries, ListChecks, Journal.ChecksResponse>("", (h, r, _, ct) => h.ChecksAsync(r.Slug!, r.Take, ct)),
    ];

    /// <summary>The socket's command names, for <c>unknown_command</c>'s "did you mean".</summary>
    public static readonly IReadOnlyList<string> Names = [.. All.Where(c => c.Name.Length > 0).Select(c => c.Name)];

    private static readonly FrozenDictionary<string, Command> ByName = All.Where(c => c.Name.Length > 0).ToFrozenDictionary(c => c.Name, StringComparer.Ordinal);

    private static readonly FrozenDictionary<Type, Command> ByRequest = All.ToFrozenDictionary(c => c.Request);

    public static Command? Find(string name) => ByName.GetValueOrDefault(name);

    public static Command For(IAdminRequest request) => ByRequest[request.GetType()];

    private static Command Of<THandler, TRequest, TResult>(string name, Func<THandler, TRequest, string, CancellationToken, Task<TResult>> handler)
        where THandler : notnull
        where TRequest : IAdminRequest<TResult> =>
        new(name, typeof(TRequest), async (services, request, by, ct) =>
            (await handler(services.GetRequiredService<THandler>(), (TRequest)request, by, ct))!);
}

using System.Text.Json.Nodes;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// Every admin operation, once, for both transports (the WebSocket and the REST write API). Refusals are thrown as
/// <see cref="AdminCommandException"/>; <paramref name="by"/> arguments name who asked (for the log and alerts).
/// </summary>
internal sealed partial class AdminCommands
{
    public Task<IReadOnlyList<MonitorView>> ListMonitorsAsync(CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<MonitorView> GetMonitorAsync(string slug, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<MonitorView> CreateMonitorAsync(IReadOnlyDictionary<string, string?> fields, string by, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public Task<MonitorView> UpdateMonitorAsync(string slug, IReadOnlyDictionary<string, string?> fields, string by, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public Task DeleteMonitorAsync(string slug, string by, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<MonitorView> PauseAsync(string slug, string by, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<MonitorView> ResumeAsync(string slug, string by, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<CheckNowResult> CheckNowAsync(string slug, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary><c>{ "UptimeWatch": { "Monitors": [...] } }</c>, ready to paste into appsettings.json.</summary>
    public Task<JsonObject> ExportAsync(CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<IReadOnlyList<AlertView>> ListAlertsAsync(bool openOnly, int limit, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public Task<AlertView> AcknowledgeAlertAsync(long id, string by, string? note, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public Task<MaintenanceView> CreateMaintenanceAsync(string slug, DateTimeOffset? start, DateTimeOffset? end, int? minutes, string? reason,
        string by, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task DeleteMaintenanceAsync(long id, CancellationToken cancellationToken) => throw new NotImplementedException();

    public ConfigStatus ConfigStatus() => throw new NotImplementedException();
}

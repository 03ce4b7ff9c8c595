using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// The REST write API: the admin operations of the WebSocket protocol for scripts and CI, with a session cookie or
/// an API token. Each endpoint builds the command's request record from the route, the query and the body and runs it
/// through <see cref="AdminCommands"/>, as the socket does. Refusals are problem details (<see cref="AdminProblems"/>).
/// </summary>
internal static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/admin").WithTags("Admin").RequireAuthorization(AdminClaims.Policy)
            .AddEndpointFilter(async (context, next) =>
            {
                try
                {
                    return await next(context);
                }
                catch (AdminCommandException ex)
                {
                    return AdminProblems.Result(ex);
                }
            })
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        api.MapGet("/monitors", (AdminCommands commands, HttpContext http, CancellationToken ct) => Run(commands, http, new ListMonitors(), ct))
            .WithName("AdminListMonitors").WithSummary("Every active monitor, with live state, recent checks and its definition (secrets masked).");
        api.MapPost("/monitors", async (HttpRequest request, AdminCommands commands, CancellationToken ct) =>
            {
                var created = await Run(commands, request.HttpContext, new CreateMonitor(await BodyAsync(request, ct)) { MonitorField = "body" }, ct);
                return TypedResults.Created($"/api/admin/monitors/{created.Slug}", created);
            })
            .Accepts<JsonObject>("application/json").Produces<MonitorView>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("AdminCreateMonitor").WithSummary("Creates a console monitor from the same fields as a monitor in appsettings.json.");
        api.MapGet("/monitors/{slug}", (string slug, AdminCommands commands, HttpContext http, CancellationToken ct) => Run(commands, http, new GetMonitor(slug), ct))
            .ProducesProblem(StatusCodes.Status404NotFound).WithName("AdminGetMonitor").WithSummary("One monitor.");
        api.MapGet("/monitors/{slug}/checks", (string slug, AdminCommands commands, HttpContext http, CancellationToken ct, int? limit) =>
                Run(commands, http, new ListChecks(slug, limit), ct))
            .ProducesProblem(StatusCodes.Status404NotFound).WithName("AdminListChecks")
            .WithSummary("A monitor's most recent checks, newest first (limit 1-1000, default 50), with the probe's full error text.");
        api.MapPut("/monitors/{slug}", async (string slug, HttpRequest request, AdminCommands commands, CancellationToken ct) =>
                await Run(commands, request.HttpContext, new UpdateMonitor(slug, await BodyAsync(request, ct)) { MonitorField = "body" }, ct))
            .Accepts<JsonObject>("application/json").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("AdminUpdateMonitor")
            .WithSummary("Replaces a console monitor's definition (masked secrets sent back unchanged are kept). Config-file monitors are refused (409).");
        api.MapDelete("/monitors/{slug}", (string slug, HttpContext http, AdminCommands commands, CancellationToken ct) => Run(commands, http, new DeleteMonitor(slug), ct))
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("AdminDeleteMonitor").WithSummary("Archives a console monitor: no longer checked or listed, history kept.");
        api.MapPost("/monitors/{slug}/pause", (string slug, HttpContext http, AdminCommands commands, CancellationToken ct) => Run(commands, http, new PauseMonitor(slug), ct))
            .ProducesProblem(StatusCodes.Status404NotFound).WithName("AdminPauseMonitor").WithSummary("Stops checking and alerting; an open alert is resolved.");
        api.MapPost("/monitors/{slug}/resume", (string slug, HttpContext http, AdminCommands commands, CancellationToken ct) => Run(commands, http, new ResumeMonitor(slug), ct))
            .ProducesProblem(StatusCodes.Status404NotFound).WithName("AdminResumeMonitor").WithSummary("Checks again, judging from scratch.");
        api.MapPost("/monitors/{slug}/check", (string slug, HttpContext http, AdminCommands commands, CancellationToken ct) => Run(commands, http, new CheckMonitorNow(slug), ct))
            .ProducesProblem(StatusCodes.Status404NotFound).WithName("AdminCheckNow").WithSummary("Runs a check at once and returns its result.");
        api.MapPost("/monitors/{slug}/maintenance", async (string slug, HttpRequest request, AdminCommands commands, CancellationToken ct) =>
            {
                var body = AdminRequestBinder.Bind<CreateMaintenance>(await BodyAsync(request, ct), "body");
                var window = await Run(commands, request.HttpContext, body with { Slug = slug }, ct);
                return TypedResults.Created($"/api/admin/maintenance/{window.Id.ToString(CultureInfo.InvariantCulture)}", window);
            })
            .Accepts<CreateMaintenance>("application/json").Produces<MaintenanceView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("AdminCreateMaintenance").WithSummary("A maintenance window: start (default now), and end or minutes.");
        api.MapDelete("/maintenance/{id:long}", (long id, HttpContext http, AdminCommands commands, CancellationToken ct) => Run(commands, http, new DeleteMaintenance(id), ct))
            .ProducesProblem(StatusCodes.Status404NotFound).WithName("AdminDeleteMaintenance").WithSummary("Removes a maintenance window.");
        api.MapGet("/alerts", (AdminCommands commands, HttpContext http, CancellationToken ct, string? state = null, int? limit = null) =>
                Run(commands, http, new ListAlerts(state, limit), ct))
            .WithName("AdminListAlerts").WithSummary("Alerts, newest first: open ones (default) or all.");
        api.MapPost("/alerts/{id:long}/ack", async (long id, HttpRequest request, AdminCommands commands, CancellationToken ct) =>
            {
                // The body is optional: {"note": "…"}.
                var ack = request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0
                    ? AdminRequestBinder.Bind<AcknowledgeAlert>(await BodyAsync(request, ct), "body") with { Id = id }
                    : new AcknowledgeAlert(id, null);
                return await Run(commands, request.HttpContext, ack, ct);
            })
            .ProducesProblem(StatusCodes.Status404NotFound).WithName("AdminAcknowledgeAlert").WithSummary("Acknowledges an alert (optional body: {\"note\":\"…\"}).");
        api.MapGet("/export", (AdminCommands commands, HttpContext http, CancellationToken ct) => Run(commands, http, new ExportMonitors(), ct))
            .WithName("AdminExport").WithSummary("Every active monitor as an appsettings.json block.");
        api.MapGet("/channels", (AdminCommands commands, HttpContext http, CancellationToken ct) => Run(commands, http, new ListChannels(), ct))
            .WithName("AdminListChannels").WithSummary("The notification channels (no secrets).");
        api.MapPost("/channels/{name}/test", (string name, HttpContext http, AdminCommands commands, CancellationToken ct) => Run(commands, http, new TestChannel(name), ct))
            .ProducesProblem(StatusCodes.Status404NotFound).WithName("AdminTestChannel")
            .WithSummary("Sends a test notification to the channel now and returns what the receiver answered.");
        api.MapGet("/notifications", (AdminCommands commands, HttpContext http, CancellationToken ct, int? limit = null) =>
                Run(commands, http, new ListNotifications(limit), ct))
            .WithName("AdminListNotifications").WithSummary("The newest notifications in the outbox, with every delivery attempt.");
        api.MapGet("/config", (AdminCommands commands, HttpContext http, CancellationToken ct) => Run(commands, http, new GetConfigStatus(), ct))
            .WithName("AdminConfigStatus").WithSummary("The config file, the errors of its last rejected edit, and in a cluster whether it is the one the cluster runs.");
        api.MapGet("/storage", (AdminCommands commands, HttpContext http, CancellationToken ct) => Run(commands, http, new GetStorageStatus(), ct))
            .WithName("AdminStorageStatus").WithSummary("Whether writes to the database have been failing (a full disk), since when, and why.");
        return app;
    }

    /// <summary>Who is asking, for the log and the event log: the user, and the token's name when it is a token.</summary>
    public static string By(ClaimsPrincipal user)
    {
        var name = user.Identity?.Name ?? "admin";
        return user.FindFirstValue(AdminClaims.TokenName) is { } token ? $"{name} (token {token})" : name;
    }

    private static Task<TResult> Run<TResult>(AdminCommands commands, HttpContext http, IAdminRequest<TResult> request, CancellationToken ct) =>
        commands.RunAsync(request, By(http.User), ct);

    private static async Task<JsonElement> BodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw AdminCommandException.BadRequest("body", null, $"is not valid JSON: {ex.Message}");
        }
    }
}

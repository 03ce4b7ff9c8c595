using System.Text.Json;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// Every admin operation, once, for both transports (the WebSocket and the REST write API): a request record is
/// validated, then handed to its handler from <see cref="AdminCommandTable"/>. Refusals are thrown as
/// <see cref="AdminCommandException"/>; <c>by</c> names who asked (for the log, the event log and alerts).
/// </summary>
internal sealed class AdminCommands(IServiceProvider services)
{
    /// <summary>REST: runs a request built from the route, the query and the body.</summary>
    public async Task<TResult> RunAsync<TResult>(IAdminRequest<TResult> request, string by, CancellationToken cancellationToken) =>
        (TResult)await ExecuteAsync(request, by, cancellationToken);

    /// <summary>Validates the request and runs its handler; the result is the reply payload.</summary>
    public Task<object> ExecuteAsync(IAdminRequest request, string by, CancellationToken cancellationToken)
    {
        request.Validate();
        var handler = AdminCommandTable.For(request).Handler
            ?? throw new InvalidOperationException($"{request.GetType().Name} is answered by the socket, not by a handler");
        return handler(services, request, by, cancellationToken);
    }

    /// <summary>The WebSocket: the command's request bound from its payload (refused with the field and value at fault).</summary>
    public static IAdminRequest Bind(AdminCommandTable.Command command, JsonElement payload) =>
        AdminRequestBinder.Bind(command.Request, payload, "payload");
}

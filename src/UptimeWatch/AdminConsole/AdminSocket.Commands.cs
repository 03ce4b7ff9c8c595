using System.Text.Json;
using UptimeWatch.Configuration;

namespace UptimeWatch.AdminConsole;

/// <summary>The socket's commands: the envelope, then the command's request bound, validated and run (<see cref="AdminCommandTable"/>).</summary>
internal sealed partial class AdminSocket
{
    /// <summary>Checks the envelope, then runs the command in the background once a slot is free.</summary>
    private async Task HandleMessageAsync(byte[] message)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message);
        }
        catch (JsonException)
        {
            await EnqueueAsync(Error(null, AdminErrorCodes.BadRequest,
                "The message is not JSON: send one JSON object per text frame, like {\"type\":\"monitors.list\",\"id\":\"1\",\"payload\":{}}", null));
            return;
        }

        if (ReadEnvelope(document.RootElement, out var type, out var id, out var payload) is { } refused)
        {
            document.Dispose();
            await EnqueueAsync(refused);
            return;
        }
        if (AdminCommandTable.Find(type) is not { } command)
        {
            document.Dispose();
            var hint = ClosestName.Find(type, AdminCommandTable.Names);
            await EnqueueAsync(Error(id, AdminErrorCodes.UnknownCommand,
                $"No command \"{type}\"" + (hint is null ? "" : $" (did you mean {hint}?)"), null));
            return;
        }

        // Waiting here stops reading: a client with 8 commands running sends the 9th when one of them finishes.
        try
        {
            await _slots.WaitAsync(_stop.Token);
        }
        catch
        {
            document.Dispose();
            throw;
        }
        _ = Task.Run(() => RunCommandAsync(document, command, id, payload));
    }

    /// <summary>Reads type, id and payload; returns the error reply when the envelope is malformed.</summary>
    private static byte[]? ReadEnvelope(JsonElement root, out string type, out string? id, out JsonElement payload)
    {
        (type, id, payload) = ("", null, Empty);
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Error(null, AdminErrorCodes.BadRequest,
                "The message must be a JSON object with a string \"type\", like {\"type\":\"monitors.list\",\"id\":\"1\",\"payload\":{}}", null);
        }
        if (root.TryGetProperty("id", out var idElement) && idElement.ValueKind != JsonValueKind.Null)
        {
            if (idElement.ValueKind != JsonValueKind.String || idElement.GetString()!.Length > MaxIdLength)
            {
                var problem = $"must be a string of at most {MaxIdLength} characters";
                return Error(null, AdminErrorCodes.BadRequest, $"id {Check.Shorten(idElement.GetRawText())} {problem}",
                    new Dictionary<string, string> { ["id"] = problem });
            }
            id = idElement.GetString();
        }
        if (!root.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
        {
            const string problem = "is required: a string naming the command, like \"monitors.list\"";
            return Error(id, AdminErrorCodes.BadRequest, $"type {problem}", new Dictionary<string, string> { ["type"] = problem });
        }
        type = typeElement.GetString()!;
        if (root.TryGetProperty("payload", out var payloadElement) && payloadElement.ValueKind != JsonValueKind.Null)
        {
            if (payloadElement.ValueKind != JsonValueKind.Object)
            {
                const string problem = "must be a JSON object";
                return Error(id, AdminErrorCodes.BadRequest, $"payload {Check.Shorten(payloadElement.GetRawText())} {problem}",
                    new Dictionary<string, string> { ["payload"] = problem });
            }
            payload = payloadElement;
        }
        return null;
    }

    private static readonly JsonElement Empty = JsonDocument.Parse("{}").RootElement;

    private async Task RunCommandAsync(JsonDocument document, AdminCommandTable.Command command, string? id, JsonElement payload)
    {
        var type = command.Name;
        try
        {
            using (document)
            {
                var request = AdminCommands.Bind(command, payload);
                // The two commands that act on this socket rather than on the server.
                switch (request)
                {
                    case Subscribe subscribe:
                        await SubscribeAsync(id, subscribe.After);
                        return;
                    case Unsubscribe:
                        await EnqueueAsync(Reply(id, await UnsubscribeAsync()));
                        return;
                }
                var result = await commands.ExecuteAsync(request, by, _stop.Token);
                await EnqueueAsync(Reply(id, result));
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The socket is ending: there is no one to answer.
        }
        catch (AdminCommandException ex)
        {
            await TryEnqueueAsync(Error(id, ex.Code, ex.Message, ex.Fields));
        }
        catch (Exception ex)
        {
            LogCommandFailed(logger, ex, type, id, by);
            await TryEnqueueAsync(Error(id, AdminErrorCodes.Internal, "The command failed unexpectedly; the details are in the server log", null));
        }
        finally
        {
            _slots.Release();
        }
    }

    [LoggerMessage(LogLevel.Error, "Admin command {CommandType} (id {CommandId}) of {By} failed unexpectedly")]
    private static partial void LogCommandFailed(ILogger logger, Exception exception, string commandType, string? commandId, string by);
}

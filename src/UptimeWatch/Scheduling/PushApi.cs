using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using UptimeWatch.Monitoring;
using UptimeWatch.Probing;
using UptimeWatch.Hosting;
using UptimeWatch.Storage;
using UptimeWatch.Journal;

namespace UptimeWatch.Scheduling;

/// <summary>
/// Where push monitors are called: <c>GET|POST /api/push/{token}?status=up|down&amp;msg=…&amp;ms=…</c>, from a
/// cron job, a backup script, anything that can make an HTTP request. The token is the only credential.
/// </summary>
internal static class PushApi
{
    public const int MaxMessageLength = 500;

    public static IEndpointRouteBuilder MapPushApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Push");
        api.MapMethods("/push/{token}", [HttpMethods.Get, HttpMethods.Post], Heartbeat)
            .WithName("PushHeartbeat")
            .WithSummary("Records a heartbeat of a push monitor: status up (default) or down, an optional message and duration in ms.")
            .AddEndpointFilter(async (context, next) =>
            {
                // A cache between a cron job and UptimeWatch that answered a GET itself would swallow heartbeats.
                context.HttpContext.Response.Headers.CacheControl = "no-store";
                return await next(context);
            });
        return app;
    }

    internal static async Task<Results<Ok<PushResponse>, NotFound<ProblemResponse>, BadRequest<ProblemResponse>, Conflict<ProblemResponse>, JsonHttpResult<ProblemResponse>>> Heartbeat(
        string token, HttpRequest request, MonitorRegistry registry, JournalWriter writer, ClusterTurns turns, TimeProvider time,
        CancellationToken cancellationToken, string? status = null, string? msg = null, string? ms = null)
    {
        // Same answer for a malformed token as for an unknown one: the reply must not help anyone guess.
        var target = token.Length <= 128 ? registry.FindPushByToken(token) : null;
        if (target is null)
        {
            return TypedResults.NotFound(new ProblemResponse("No push monitor has this URL", null));
        }
        if (target.Monitor is not { } monitor)
        {
            return TypedResults.NotFound(new ProblemResponse(
                $"Monitor \"{target.Slug}\" was removed from the configuration (archived): its heartbeats are no longer recorded", null));
        }

        if (await MisplacedParameterAsync(request, cancellationToken) is { } misplaced)
        {
            return TypedResults.BadRequest(ProblemResponse.Field(misplaced.Name, misplaced.Value,
                $"must be in the query string (/api/push/<token>?{misplaced.Name}=…), not in the request body"));
        }

        var isDown = false;
        if (status is not null)
        {
            if (status.Equals("down", StringComparison.OrdinalIgnoreCase))
            {
                isDown = true;
            }
            else if (!status.Equals("up", StringComparison.OrdinalIgnoreCase))
            {
                return TypedResults.BadRequest(ProblemResponse.Field("status", status, "must be up or down"));
            }
        }
        int? durationMs = null;
        if (ms is not null)
        {
            if (!int.TryParse(ms, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return TypedResults.BadRequest(ProblemResponse.Field("ms", ms, $"must be a whole number of milliseconds from 0 to {int.MaxValue}"));
            }
            durationMs = parsed;
        }
        var message = Clean(msg);

        // Waits for a scheduled no-heartbeat check of the same monitor that is under way, and makes it wait for us.
        Judgement judgement;
        Task<Committed> stored;
        using (await monitor.EnterAsync(cancellationToken))
        {
            // On a cluster the node judging the deadline may be another: take the monitor's turn there too, on the stored state.
            IAsyncDisposable? clusterTurn;
            try
            {
                clusterTurn = await turns.EnterAsync(monitor, cancellationToken);
            }
            catch (System.Data.Common.DbException)
            {
                // Nothing recorded, and the sender is told so: curl -f fails, and --retry sends it again.
                return TypedResults.Json(new ProblemResponse("The database is unreachable: the heartbeat was not recorded, send it again", null),
                    statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            await using var _ = clusterTurn;
            if (monitor.State.Status == MonitorStatus.Paused)
            {
                return TypedResults.Conflict(new ProblemResponse(
                    $"Monitor \"{monitor.Definition.Slug}\" is paused: heartbeats are not recorded until it is resumed", null));
            }

            var now = time.GetUtcNow();
            var result = isDown
                ? ProbeResult.Failed(FailureKind.ReportedDown, durationMs ?? 0, message is null ? "reported down" : $"reported down: {message}")
                : ProbeResult.Ok(durationMs ?? 0) with
                {
                    Error = message,
                    Summary = durationMs is { } d ? $"heartbeat received (took {d.ToString(CultureInfo.InvariantCulture)} ms)" : "heartbeat received",
                };
            monitor.LastHeartbeatAt = now;
            judgement = WithDuration(monitor.Record(result, now, now), durationMs);

            // The state has moved in memory: it must reach the database even if the caller hangs up now.
            stored = await writer.AppendAwaitedAsync(CheckWrite.From(judgement), CancellationToken.None);
            if (clusterTurn is not null)
            {
                // The next heartbeat or deadline, on any node, reads this one from the database.
                await stored;
            }
        }
        // Answered once stored, so whatever the sender reads next (API, status page) already has this heartbeat.
        await stored.WaitAsync(cancellationToken);
        var state = judgement.State.State;
        return TypedResults.Ok(new PushResponse(true, monitor.Definition.Slug, StatusWords.Display(state.Status, state.ConsecutiveFailures)));
    }

    /// <summary>
    /// Parameters come from the query string only, and a body is ignored (scripts often post their log). But
    /// <c>curl -d status=down</c> puts a report in a form body, and ignoring it would store a failure as a
    /// success: that gets a 400 instead. Only small form bodies are looked at.
    /// </summary>
    private static async Task<(string Name, string Value)?> MisplacedParameterAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!HttpMethods.IsPost(request.Method) || !request.HasFormContentType || request.ContentLength is not (> 0 and <= 16 * 1024))
        {
            return null;
        }
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(cancellationToken);
        }
        catch (InvalidDataException)
        {
            return null;
        }
        foreach (var name in (string[])["status", "msg", "ms"])
        {
            if (form.TryGetValue(name, out var value) && !request.Query.ContainsKey(name))
            {
                return (name, value.ToString());
            }
        }
        return null;
    }

    /// <summary>
    /// A push monitor's row carries the duration the sender reported, or none (a missing heartbeat has none):
    /// the rules would store the probe's elapsed time, and "0 ms" would be a made-up number.
    /// </summary>
    internal static Judgement WithDuration(Judgement judgement, int? durationMs) => judgement with
    {
        Checks = judgement.Checks.Select(c => c with { ResponseMs = durationMs }).ToList(),
        State = judgement.State with { LastResponseMs = durationMs },
    };

    /// <summary>One line, at most <see cref="MaxMessageLength"/> characters; null when there is nothing to say.</summary>
    private static string? Clean(string? message)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return null;
        }
        var line = string.Concat(message.Trim().Select(c => char.IsControl(c) ? ' ' : c));
        return line.Length > MaxMessageLength ? line[..(MaxMessageLength - 1)] + "…" : line;
    }
}

/// <summary>What a heartbeat got: the monitor it counted for and that monitor's status now.</summary>
internal sealed record PushResponse(bool Ok, string Monitor, string Status);

using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Storage;

namespace UptimeWatch.IntegrationTests.Cluster;

/// <summary>
/// Three real nodes on one database, a viewer on each transport on a node other than the one that writes: an SSE
/// stream on B and a long poll on C get the status changes an admin causes on A, in order and once each, a WebSocket
/// on C gets the acknowledgement made on A, and C still delivers after its listening connection is killed.
/// Admin actions cause the events: every node checks every monitor today, but only A is told to pause.
/// </summary>
public sealed class LiveFanOutTests : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private PostgresServer _postgres = null!;
    private TargetServer _target = null!;

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        _target = await TargetServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _target.DisposeAsync();
        await _postgres.DisposeAsync();
    }

    [Fact]
    public async Task Viewers_on_other_nodes_get_each_change_made_on_node_A_once_and_in_order()
    {
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 3,
        [
            new { Name = "Shop", Url = _target.Url("/health").ToString(), IntervalSeconds = 3600, TimeoutSeconds = 5 },
            new { Name = "Broken", Url = _target.Url("/status/500").ToString(), IntervalSeconds = 2, TimeoutSeconds = 2, FailureThreshold = 1 },
        ], environment: new Dictionary<string, string> { ["UptimeWatch__Admin__InitialPassword"] = Password });
        using var adminA = await SignInAsync(cluster[0]);
        var (adminC, cookieC) = await SignInWithCookieAsync(cluster[2]);
        using var _ = adminC;

        // Broken fails its first check: an open alert to acknowledge later.
        var alertId = await Eventually.Within(Deadline, "an open alert for Broken", async ct =>
        {
            while (true)
            {
                var alerts = await adminA.GetFromJsonAsync<JsonElement>("/api/admin/alerts?state=open", ct);
                var list = alerts.ValueKind == JsonValueKind.Array ? alerts : alerts.GetProperty("alerts");
                if (list.EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } alert)
                {
                    return alert.GetProperty("id").GetInt64();
                }
                await Task.Delay(100, ct);
            }
        }, cluster.Output);
        long cursor;
        await using (var db = cluster.OpenDatabase())
        {
            cursor = await db.StatusEvents.MaxAsync(e => (long?)e.Id) ?? 0;
        }

        // The viewers, each on a node that is not A.
        using var sseClient = cluster[1].NewClient();
        sseClient.Timeout = Timeout.InfiniteTimeSpan;
        using var sseRequest = new HttpRequestMessage(HttpMethod.Get, "/api/live/events");
        sseRequest.Headers.Add("Last-Event-ID", cursor.ToString());
        using var sseResponse = await sseClient.SendAsync(sseRequest, HttpCompletionOption.ResponseHeadersRead);
        using var sse = await SseReader.OpenAsync(sseResponse);
        var poller = new Poller(cluster[2], cursor);
        using var stopPolling = new CancellationTokenSource();
        var polling = poller.RunAsync(stopPolling.Token);
        await using var socket = await AdminSocket.ConnectAsync(cluster[2].Address, cookieC);
        await socket.SubscribeAsync(cursor);

        // A pauses and resumes Shop, and acknowledges Broken's alert.
        (await adminA.PostAsync("/api/admin/monitors/shop/pause", null)).EnsureSuccessStatusCode();
        (await adminA.PostAsync("/api/admin/monitors/shop/resume", null)).EnsureSuccessStatusCode();
        (await adminA.PostAsJsonAsync($"/api/admin/alerts/{alertId}/ack", new { note = "on it" })).EnsureSuccessStatusCode();
        var (paused, resumed) = await ShopChangesAfterAsync(cluster, cursor);

        var streamed = new List<long>();
        await sse.NextMatchingAsync(f => Collect(f, streamed) == resumed, $"event {resumed} (Shop resumed) on B's stream", Deadline);
        await poller.WaitForAsync(resumed, Deadline);
        var acknowledged = await socket.NextAsync(m => m.GetProperty("type").GetString() == "alert.acknowledged", Deadline);
        Assert.Equal(alertId, acknowledged.GetProperty("payload").GetProperty("id").GetInt64());

        foreach (var (transport, ids) in new[] { ("SSE on B", streamed), ("long poll on C", poller.Ids) })
        {
            Assert.True(ids.SequenceEqual(ids.Distinct().Order()), $"{transport} got ids out of order or twice: {string.Join(", ", ids)}");
            Assert.Contains(paused, ids);
            Assert.Contains(resumed, ids);
        }

        // C's listening connection dies: C still delivers A's next change (it reads the log again, by cursor).
        await TerminateListenerAsync(cluster, cluster[2].Id);
        (await adminA.PostAsync("/api/admin/monitors/shop/pause", null)).EnsureSuccessStatusCode();
        var (pausedAgain, _) = await ShopChangesAfterAsync(cluster, resumed);
        await poller.WaitForAsync(pausedAgain, Deadline);
        Assert.True(poller.Ids.SequenceEqual(poller.Ids.Distinct().Order()), $"C's long poll: {string.Join(", ", poller.Ids)}");
        await stopPolling.CancelAsync();
        await polling;
    }

    private static long Collect(ReceivedSseFrame frame, List<long> ids)
    {
        if (frame.Type == "status" && frame.Id is { } text && long.TryParse(text, out var id))
        {
            ids.Add(id);
            return id;
        }
        return -1;
    }

    /// <summary>The ids of Shop's pause (and its resume, if any) after <paramref name="after"/>, once A has stored them.</summary>
    private static async Task<(long Paused, long Resumed)> ShopChangesAfterAsync(ClusterNodes cluster, long after)
    {
        await using var db = cluster.OpenDatabase();
        var shop = await db.Monitors.Where(m => m.Slug == "shop").Select(m => m.Id).SingleAsync();
        var changes = await db.StatusEvents.Where(e => e.MonitorId == shop && e.Id > after && e.Kind == EventKind.Status)
            .OrderBy(e => e.Id).Select(e => new { e.Id, e.To }).ToListAsync();
        var paused = changes.First(e => e.To == MonitorStatus.Paused).Id;
        return (paused, changes.FirstOrDefault(e => e.Id > paused)?.Id ?? 0);
    }

    private async Task TerminateListenerAsync(ClusterNodes cluster, int pid)
    {
        await using var db = cluster.OpenDatabase();
        var terminated = await db.Database.SqlQueryRaw<bool>(
            "SELECT pg_terminate_backend(pid) AS \"Value\" FROM pg_stat_activity WHERE application_name = {0}", $"uptimewatch-listen-{pid}").ToListAsync();
        Assert.True(terminated is [true], $"Expected to end node C's one listening connection, ended {terminated.Count}\n{cluster.Output()}");
    }

    private static async Task<HttpClient> SignInAsync(HostProcess node) => (await SignInWithCookieAsync(node)).Client;

    private static async Task<(HttpClient Client, string Cookie)> SignInWithCookieAsync(HostProcess node)
    {
        var cookies = new CookieContainer();
        var client = node.NewClient(new HttpClientHandler { CookieContainer = cookies });
        (await client.PostAsJsonAsync("/api/admin/login", new { userName = "admin", password = Password })).EnsureSuccessStatusCode();
        return (client, cookies.GetCookieHeader(node.Address));
    }

    /// <summary>A long-poll client the way a page runs one: ask with the cursor, take what comes, ask again.</summary>
    private sealed class Poller(HostProcess node, long cursor)
    {
        private readonly HttpClient _client = node.NewClient();
        private volatile TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<long> Ids { get; } = [];

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    using var response = await _client.GetAsync($"/api/live/poll?after={cursor}&timeout=5", cancellationToken);
                    if (response.StatusCode == HttpStatusCode.NoContent)
                    {
                        continue;
                    }
                    var page = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                    lock (Ids)
                    {
                        Ids.AddRange(page.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()));
                    }
                    cursor = page.GetProperty("cursor").GetInt64();
                    Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            finally
            {
                _client.Dispose();
            }
        }

        public Task WaitForAsync(long id, TimeSpan limit) => Eventually.Within(limit, $"event {id} in the long poll on node C", async ct =>
        {
            while (true)
            {
                var next = _next.Task;
                lock (Ids)
                {
                    if (Ids.Contains(id))
                    {
                        return true;
                    }
                }
                await next.WaitAsync(ct);
            }
        }, () => string.Join(", ", Ids));
    }

    /// <summary>A bare client of <c>/ws/admin</c> with a session cookie.</summary>
    private sealed class AdminSocket : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket = new();
        private readonly List<string> _seen = [];

        public static async Task<AdminSocket> ConnectAsync(Uri node, string cookie)
        {
            var socket = new AdminSocket();
            socket._socket.Options.SetRequestHeader("Cookie", cookie);
            using var timeout = new CancellationTokenSource(Deadline);
            await socket._socket.ConnectAsync(new Uri($"ws://{node.Authority}/ws/admin"), timeout.Token);
            return socket;
        }

        public async Task SubscribeAsync(long after)
        {
            var command = JsonSerializer.SerializeToUtf8Bytes(new { type = "subscribe", id = "s", payload = new { after } });
            using var timeout = new CancellationTokenSource(Deadline);
            await _socket.SendAsync(command, WebSocketMessageType.Text, true, timeout.Token);
            await NextAsync(m => m.GetProperty("type").GetString() == "ok", Deadline);
        }

        public Task<JsonElement> NextAsync(Func<JsonElement, bool> match, TimeSpan limit) => Eventually.Within(limit, "an admin socket message", async ct =>
        {
            var buffer = new byte[64 * 1024];
            while (true)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult received;
                do
                {
                    received = await _socket.ReceiveAsync(buffer, ct);
                    message.Write(buffer, 0, received.Count);
                }
                while (!received.EndOfMessage);
                var text = Encoding.UTF8.GetString(message.ToArray());
                _seen.Add(text.Length > 200 ? text[..200] : text);
                var json = JsonDocument.Parse(text).RootElement.Clone();
                if (match(json))
                {
                    return json;
                }
            }
        }, () => string.Join("\n", _seen.TakeLast(20)));

        public ValueTask DisposeAsync()
        {
            _socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

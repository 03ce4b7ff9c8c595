using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace UptimeWatch.IntegrationTests.Cluster;

/// <summary>
/// A console change made on node A takes effect on node B without a restart: B checks a monitor created on A, checks
/// the URL an edit on A set, and treats a monitor paused on A as paused (a check now on B is not recorded) until A resumes it.
/// </summary>
public sealed class ConsoleChangeTests : IAsyncLifetime
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
    public async Task Create_edit_pause_and_resume_on_node_A_take_effect_on_node_B()
    {
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 2, [],
            environment: new Dictionary<string, string> { ["UptimeWatch__Admin__InitialPassword"] = Password });
        using var adminA = await SignInAsync(cluster[0]);
        using var adminB = await SignInAsync(cluster[1]);

        (await adminA.PostAsJsonAsync("/api/admin/monitors", new { Name = "Api", Url = _target.Url("/ok").ToString(), IntervalSeconds = 3600 }))
            .EnsureSuccessStatusCode();
        await CheckOnBAsync(cluster, adminB, "B checks the monitor created on A", r => r is { Outcome: "up", Recorded: true });

        (await adminA.PutAsJsonAsync("/api/admin/monitors/api", new { Name = "Api", Url = _target.Url("/status/500").ToString(), IntervalSeconds = 3600 }))
            .EnsureSuccessStatusCode();
        await CheckOnBAsync(cluster, adminB, "B checks the URL set on A", r => r is { Outcome: "down" });

        (await adminA.PostAsync("/api/admin/monitors/api/pause", null)).EnsureSuccessStatusCode();
        await CheckOnBAsync(cluster, adminB, "B treats the monitor paused on A as paused", r => r is { Recorded: false, Status: "paused" });

        (await adminA.PostAsync("/api/admin/monitors/api/resume", null)).EnsureSuccessStatusCode();
        await CheckOnBAsync(cluster, adminB, "B checks the monitor resumed on A again", r => r is { Recorded: true });
    }

    /// <summary>Asks B to check "api" now until the answer is <paramref name="wanted"/>.</summary>
    private static Task CheckOnBAsync(ClusterNodes cluster, HttpClient nodeB, string what, Func<CheckNow, bool> wanted) =>
        Eventually.Within(Deadline, what, async ct =>
        {
            while (true)
            {
                using var response = await nodeB.PostAsync("/api/admin/monitors/api/check", null, ct);
                if (response.StatusCode != HttpStatusCode.NotFound)
                {
                    response.EnsureSuccessStatusCode();
                    if (wanted((await response.Content.ReadFromJsonAsync<CheckNow>(JsonSerializerOptions.Web, ct))!))
                    {
                        return true;
                    }
                }
                await Task.Delay(100, ct);
            }
        }, cluster.Output);

    private static async Task<HttpClient> SignInAsync(HostProcess node)
    {
        var client = node.NewClient(new HttpClientHandler { CookieContainer = new CookieContainer() });
        (await client.PostAsJsonAsync("/api/admin/login", new { userName = "admin", password = Password })).EnsureSuccessStatusCode();
        return client;
    }

    private sealed record CheckNow(string Outcome, bool Recorded, string Status);
}

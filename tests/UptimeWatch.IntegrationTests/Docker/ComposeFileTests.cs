namespace UptimeWatch.IntegrationTests.Docker;

/// <summary>
/// deploy/docker-compose.yml, read by Debian's docker-compose (1.29): <c>config</c> parses the file, checks it
/// against the compose schema, interpolates the variables and prints what it would run.
/// </summary>
public sealed class ComposeFileTests
{
    private const string ComposeTool = "/usr/bin/docker-compose";

    [Fact]
    public async Task The_compose_file_is_valid_and_builds_the_shipped_Dockerfile_with_a_data_volume_and_a_stop_grace_period()
    {
        if (!File.Exists(ComposeTool))
        {
            throw new InvalidOperationException(
                $"{ComposeTool} is missing: install Debian's docker-compose (apt-get install -y docker-compose); ./test.sh does when run as root");
        }
        var file = Path.Combine(TestPaths.RepositoryRoot, "deploy", "docker-compose.yml");

        // The password normally comes from deploy/.env (see the file's header): given here the same way compose reads it.
        var result = await DockerCli.RunAsync(ComposeTool, ["-f", file, "config"], TimeSpan.FromSeconds(60),
            new Dictionary<string, string?> { ["UPTIMEWATCH_ADMIN_PASSWORD"] = "a-long-enough-password" });

        Assert.True(result.ExitCode == 0, $"docker-compose config exited with {result.ExitCode}: {result.Output}");
        var resolved = result.Stdout.Split('\n').Select(l => l.Trim()).ToList();
        // The same build as UptimeWatchImageTests makes: the repository root with deploy/Dockerfile.
        Assert.Contains($"context: {TestPaths.RepositoryRoot}", resolved);
        Assert.Contains("dockerfile: deploy/Dockerfile", resolved);
        // The database lives in the named volume, on the image's VOLUME.
        Assert.Contains("- uptimewatch-data:/data:rw", resolved);
        Assert.Contains("uptimewatch-data: {}", resolved);
        Assert.Contains($"- {Path.Combine(TestPaths.RepositoryRoot, "deploy", "appsettings.json")}:/etc/uptimewatch/appsettings.json:ro", resolved);
        // Running checks get Scheduler:ShutdownTimeoutSeconds (30 s) and writing takes up to 15 s more (docs/configuration.md).
        Assert.Contains("stop_grace_period: 45s", resolved);
    }
}

using System.Diagnostics;

namespace UptimeWatch.IntegrationTests.Docker;

/// <summary>
/// Tests that run the image built from the shipped <c>deploy/Dockerfile</c>; it is built once for all of them. Not in
/// parallel with other collections: xunit runs it after them, so the build (minutes of both cores) never overlaps the
/// timing-sensitive container tests (seen: a healthy monitor beside frozen targets got 3 checks in 10 s during a build).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class UptimeWatchImageCollection : ICollectionFixture<UptimeWatchImage>
{
    public const string Name = "UptimeWatch image";
}

/// <summary>
/// The UptimeWatch image, built from the repository root with the shipped <c>deploy/Dockerfile</c>, unchanged, as
/// deploy/README.md tells users to. No registry is reachable here: <c>tests/docker-standins.sh</c> first makes local
/// stand-ins for the official .NET images the Dockerfile starts FROM (kept between runs), and the build runs with the
/// host's network so that <c>dotnet restore</c> in the build stage reaches NuGet. Deleted at the end, with the
/// intermediate images of its build stage; the stand-ins stay. Never skips: a missing tool fails, naming it.
/// </summary>
public sealed class UptimeWatchImage : IAsyncLifetime
{
    private static readonly TimeSpan StandinBound = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan BuildBound = TimeSpan.FromMinutes(15);

    /// <summary>The built image.</summary>
    public string Tag { get; } = $"localhost/uptimewatch-test:{Guid.NewGuid():N}"[..40];

    /// <summary>
    /// The build stage, tagged so that deleting it also deletes its intermediate images: the legacy builder leaves the
    /// stages before the last one as untagged images that nothing else would find.
    /// </summary>
    private string BuildStageTag => Tag + "-build";

    /// <summary>How long the stand-ins (usually nothing: they are kept) and the two builds took, for the test output.</summary>
    public string Timings { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await BusyboxImage.EnsureDockerAnswersAsync();

        var watch = Stopwatch.StartNew();
        var script = Path.Combine(TestPaths.RepositoryRoot, "tests", "docker-standins.sh");
        var standins = await DockerCli.RunAsync("bash", [script], StandinBound);
        if (standins.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{script} could not make the stand-in .NET images (exit {standins.ExitCode}): {DockerCli.Tail(standins.Output)}");
        }
        var standinTime = watch.Elapsed;

        // The build stage first, tagged; then the whole file, which takes that stage from the build cache. Never
        // --pull: the FROM names are the local stand-ins.
        watch.Restart();
        await BuildAsync("--target", "build", "-t", BuildStageTag);
        await BuildAsync("-t", Tag);
        Timings = $"stand-in images {standinTime.TotalSeconds:0} s, image build {watch.Elapsed.TotalSeconds:0} s";
    }

    private static async Task BuildAsync(params string[] args)
    {
        var build = await DockerCli.RunAsync("docker",
            ["build", "--network", "host", "-f", "deploy/Dockerfile", .. args, "."], BuildBound);
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"docker build -f deploy/Dockerfile {string.Join(' ', args)} . failed (exit {build.ExitCode}): {DockerCli.Tail(build.Output)}");
        }
    }

    public async Task DisposeAsync()
    {
        // Whatever exists of the two; the stand-in base images are left for the next run.
        await DockerCli.RunAsync("docker", ["rmi", Tag, BuildStageTag], TimeSpan.FromMinutes(2));
    }
}

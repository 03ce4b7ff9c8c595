using System.Diagnostics;

namespace UptimeWatch.IntegrationTests.Docker;

/// <summary>
/// Runs the docker CLI (and other tools) the way a user would. Used where Testcontainers cannot do what the test
/// needs: building with <c>--network host</c> with the legacy builder, <c>docker stop</c> with a chosen timeout.
/// </summary>
internal static class DockerCli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => (Stdout + Stderr).Trim();
    }

    /// <summary>Runs <c>docker</c> with <paramref name="args"/>; throws, with its output, when it exits non-zero.</summary>
    public static async Task<string> DockerAsync(TimeSpan bound, params string[] args)
    {
        var result = await RunAsync("docker", args, bound);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', args)} exited with {result.ExitCode}: {Tail(result.Output)}");
        }
        return result.Stdout.Trim();
    }

    /// <summary>
    /// Runs <paramref name="tool"/> in <paramref name="workingDirectory"/> (default: the repository root) and waits for
    /// it, at most <paramref name="bound"/>; past that the tool is killed and the call throws.
    /// </summary>
    public static async Task<Result> RunAsync(string tool, IEnumerable<string> args, TimeSpan bound,
        IDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? TestPaths.RepositoryRoot,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        // The legacy builder, whatever the CLI's default: Debian's docker.io has no buildx (which BuildKit needs in the
        // CLI), and the legacy builder takes FROM images from the local store, where the stand-ins are.
        info.Environment["DOCKER_BUILDKIT"] = "0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)
            ?? throw new InvalidOperationException($"{tool} could not be started");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException(
                $"{tool} {string.Join(' ', info.ArgumentList)} did not finish within {bound.TotalSeconds:0} s: {Tail(await stdout + await stderr)}");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The end of a long output: where a build or a script says what went wrong.</summary>
    public static string Tail(string output, int lines = 40) =>
        string.Join('\n', output.TrimEnd().Split('\n').TakeLast(lines));
}

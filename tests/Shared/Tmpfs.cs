using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace UptimeWatch.Testing;

/// <summary>
/// A small RAM disk (<c>mount -t tmpfs</c>, as root) that a test can fill to the last byte and give back: a real
/// "No space left on device" for the data directory, without touching the machine's own disks.
/// </summary>
internal sealed class Tmpfs : IAsyncDisposable
{
    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    private string Filler => System.IO.Path.Combine(Path, "filler");

    /// <summary>
    /// Mounts a new tmpfs of <paramref name="size"/> (mount's syntax: 12m). A mount that fails fails the test, in CI and
    /// out of it: a test that quietly passes without a full disk would prove nothing.
    /// </summary>
    public static async Task<Tmpfs> MountAsync(string size = "12m")
    {
        var path = TestPaths.NewTempDirectory("uw-disk");
        var (code, output) = await RunAsync("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", path);
        if (code != 0)
        {
            Directory.Delete(path);
            var ci = Environment.GetEnvironmentVariable("CI") == "true" ? " (CI=true)" : "";
            throw new InvalidOperationException($"Could not mount a tmpfs at {path}{ci}: mount exited {code}: {output.Trim()}. " +
                "This test fills a real disk and needs root (or CAP_SYS_ADMIN) to mount one.");
        }
        return new Tmpfs(path);
    }

    /// <summary>Fills every free byte with one file, as <c>dd</c> does until "No space left on device".</summary>
    public async Task FillAsync()
    {
        var (code, output) = await RunAsync("dd", "if=/dev/zero", $"of={Filler}", "bs=64k");
        // dd ends with an error when the disk is full: that is the point. Anything else is not.
        Assert.True(code != 0 && output.Contains("No space left on device", StringComparison.Ordinal), $"dd exited {code}: {output}");
    }

    /// <summary>Gives the space back.</summary>
    public void Free() => File.Delete(Filler);

    public async ValueTask DisposeAsync()
    {
        // An in-process host's pooled SQLite connections keep the files open until the pools are cleared.
        var (code, output) = await RunAsync("umount", Path);
        if (code != 0)
        {
            SqliteConnection.ClearAllPools();
            (code, output) = await RunAsync("umount", Path);
        }
        if (code != 0)
        {
            // Detached now, freed when the last file closes: never left mounted for the next run to trip over.
            (code, output) = await RunAsync("umount", "--lazy", Path);
        }
        Assert.True(code == 0, $"umount {Path} exited {code}: {output}");
        Directory.Delete(Path, recursive: true);
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}

using UptimeWatch.Tests.EndToEnd;
using UptimeWatch.Tests.Operations;

namespace UptimeWatch.Tests.Storage;

/// <summary>One UptimeWatch per data folder, with the real binary: a second one refuses to start; a killed one never blocks.</summary>
[Trait("Storage", "SqliteFile")]
public sealed class DataDirectoryLockTests
{
    [Fact]
    public async Task A_second_process_on_the_same_data_folder_exits_2_naming_the_lock_file_and_the_holder_and_the_first_keeps_serving()
    {
        var work = TestPaths.NewTempDirectory();
        var config = ServingProcess.WriteConfig(work, []);
        var (first, client) = await ServingProcess.StartAsync(work, config);
        await using var _ = first;
        using var __ = client;

        await using var second = HostProcess.Start(work, ["--config", config]);
        var exitCode = await second.WaitForExitAsync();

        Assert.Equal(2, exitCode);
        var lockFile = Path.Combine(work, "data", "uptimewatch.lock");
        Assert.Contains($"UptimeWatch did not start: another UptimeWatch is already using this data folder: {lockFile} is locked by PID {first.Id}", second.Stderr);
        Assert.DoesNotContain("Now listening", second.Stdout);
        Assert.DoesNotContain("   at ", second.Stdout + second.Stderr);
        Assert.True((await client.GetAsync("/healthz")).IsSuccessStatusCode, "the first process must go on serving");
    }

    [Fact]
    public async Task A_lock_left_by_a_process_killed_with_SIGKILL_does_not_block_the_next_start()
    {
        var work = TestPaths.NewTempDirectory();
        var config = ServingProcess.WriteConfig(work, []);
        var (killed, killedClient) = await ServingProcess.StartAsync(work, config);
        await using (killed)
        {
            killedClient.Dispose();
            await killed.KillAsync();
        }
        Assert.True(File.Exists(Path.Combine(work, "data", "uptimewatch.lock")), "the lock file stays behind; only the OS lock is gone");

        var (next, client) = await ServingProcess.StartAsync(work, config);
        await using var _ = next;
        using var __ = client;

        Assert.True((await client.GetAsync("/healthz")).IsSuccessStatusCode);
        Assert.Equal($"{next.Id}", (await ReadSharedAsync(Path.Combine(work, "data", "uptimewatch.lock"))).Trim());
    }

    /// <summary>The lock file's text: readable by other tools while held (flock is advisory), only .NET's own readers ask for a lock.</summary>
    private static async Task<string> ReadSharedAsync(string path)
    {
        var (exitCode, stdout, _) = await RunAsync("cat", path);
        Assert.Equal(0, exitCode);
        return stdout;
    }

    private static async Task<(int, string, string)> RunAsync(string file, params string[] args)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, stdout, stderr);
    }
}

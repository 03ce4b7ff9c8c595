using System.Net;
using System.Net.Http.Json;
using UptimeWatch.Tests.EndToEnd;
using UptimeWatch.Tests.Operations;

namespace UptimeWatch.Tests.AdminConsole;

/// <summary>
/// An unclaimed install does not belong to whoever reaches the port first: first-run setup needs the one-time code
/// that UptimeWatch prints in its log and writes (owner-only) to its data directory.
/// </summary>
public sealed class SetupCodeTests
{
    private static Task<HttpResponseMessage> SetUpAsync(HttpClient client, string? setupCode) =>
        client.PostAsJsonAsync("/api/admin/setup", new { password = AdminTesting.Password, setupCode });

    [Fact]
    public async Task Setup_without_the_code_or_with_a_wrong_one_is_refused_and_with_the_right_one_works()
    {
        await using var app = AdminTesting.NewApp();
        using var client = app.Browser();
        var code = FirstRunSetup.ReadCode(app.DataDirectory);
        Assert.NotNull(code);

        using var without = await SetUpAsync(client, null);
        using var wrong = await SetUpAsync(client, "AAAA-BBBB-CCCC");
        var stillRequired = await client.GetFromJsonAsync<SetupDto>("/api/admin/setup");
        // Typed as people type: lower case, without the dashes.
        using var right = await SetUpAsync(client, code!.Replace("-", "").ToLowerInvariant());

        Assert.Equal(HttpStatusCode.BadRequest, without.StatusCode);
        var missing = await without.ProblemAsync();
        Assert.Equal("is required", missing.Fields!["setupCode"]);
        // The message says where the owner finds it: the log line and the file.
        Assert.Contains("First-run setup code", missing.Error);
        Assert.Contains("setup-code", missing.Error);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal("is not this start's setup code", (await wrong.ProblemAsync()).Fields!["setupCode"]);
        Assert.True(stillRequired!.SetupRequired);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal("session", (await client.GetFromJsonAsync<MeDto>("/api/admin/me"))!.AuthenticatedBy);
        // Used up: the file is gone, and the same code cannot be used again.
        Assert.False(File.Exists(Path.Combine(app.DataDirectory, FirstRunSetup.FileName)));
        using var again = await SetUpAsync(app.Browser(), code);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task Wrong_setup_codes_count_against_the_sign_in_rate_limit()
    {
        await using var app = AdminTesting.NewApp();
        using var client = app.Browser();

        for (var i = 0; i < 10; i++)
        {
            using var attempt = await SetUpAsync(client, $"WRONG-CODE-{i:00}");
            Assert.Equal(HttpStatusCode.Forbidden, attempt.StatusCode);
        }
        using var limited = await SetUpAsync(client, FirstRunSetup.ReadCode(app.DataDirectory));

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.StartsWith("Too many sign-in attempts from this address", (await limited.ProblemAsync()).Error);
        Assert.True((await client.GetFromJsonAsync<SetupDto>("/api/admin/setup"))!.SetupRequired);
    }

    [Fact]
    public async Task With_Admin_InitialPassword_no_setup_code_is_made()
    {
        await using var app = AdminTesting.NewApp(new() { ["UptimeWatch:Admin:InitialPassword"] = AdminTesting.Password });
        using var client = app.Browser();

        using var login = await client.LoginAsync();

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.False(File.Exists(Path.Combine(app.DataDirectory, FirstRunSetup.FileName)));
    }

    [Trait("Storage", TestStorage.SqliteFileTrait)] // the real binary, on its default SQLite file whatever UW_TEST_PROVIDER says
    [Fact]
    public async Task The_real_binary_logs_the_code_and_writes_it_to_an_owner_only_file_that_is_removed_once_setup_is_done()
    {
        var work = TestPaths.NewTempDirectory();
        var config = ServingProcess.WriteConfig(work, []);
        var (host, client) = await ServingProcess.StartAsync(work, config);
        await using var _ = host;
        using var __ = client;
        var file = Path.Combine(work, "data", FirstRunSetup.FileName);

        var code = FirstRunSetup.ReadCode(Path.Combine(work, "data"));
        Assert.NotNull(code);
        Assert.Matches("^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$", code);
        Assert.Contains($"First-run setup code: {code}", host.Stdout);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        using var setup = await SetUpAsync(client, code);

        Assert.Equal(HttpStatusCode.OK, setup.StatusCode);
        Assert.False(File.Exists(file));
    }

    private sealed record SetupDto(bool SetupRequired);
}

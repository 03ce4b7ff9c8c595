using Microsoft.Extensions.Configuration;
using UptimeWatch.Tests.EndToEnd;
using UptimeWatch.Configuration;

namespace UptimeWatch.Tests.AdminConsole;

public sealed class AdminConfigTests
{
    private static UptimeWatchOptions Read(string adminJson)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes($$"""{ "UptimeWatch": { "Admin": {{adminJson}} } }""")))
            .Build();
        return UptimeWatchConfigReader.Read(configuration);
    }

    [Fact]
    public void Valid_admin_settings_are_read_with_origins_normalised()
    {
        var options = Read("""{ "InitialPassword": "twelve chars", "AllowedOrigins": [ "https://Status.Example.com/", "http://localhost:8080" ] }""");

        Assert.Empty(options.Errors);
        Assert.Equal("twelve chars", options.Admin.InitialPassword);
        Assert.Equal(["https://status.example.com", "http://localhost:8080"], options.Admin.AllowedOrigins);
    }

    [Fact]
    public void A_short_initial_password_names_the_key_but_not_the_secret()
    {
        var error = Assert.Single(Read("""{ "InitialPassword": "hunter2" }""").Errors);

        Assert.StartsWith("Admin:InitialPassword (\"***\", 7 characters) must be at least 12 characters long", error);
        Assert.DoesNotContain("hunter2", error);
    }

    [Fact]
    public void A_bad_allowed_origin_names_the_key_and_value()
    {
        var options = Read("""{ "AllowedOrigins": [ "https://ok.example.com", "https://example.com/admin", "example.com" ] }""");

        Assert.Equal(
        [
            "Admin:AllowedOrigins:1 \"https://example.com/admin\" must be an origin like https://status.example.com (scheme, host and optional port; no path)",
            "Admin:AllowedOrigins:2 \"example.com\" must be an origin like https://status.example.com (scheme, host and optional port; no path)",
        ], options.Errors);
    }

    [Fact]
    public void An_unknown_admin_key_suggests_the_closest()
    {
        Assert.Equal(["Admin:InitialPasword is not a known setting (did you mean Admin:InitialPassword?)"],
            Read("""{ "InitialPasword": "long enough password" }""").Errors);
    }

    [Fact]
    public void MaxMessageBytes_defaults_to_64_KiB_and_a_bad_value_names_key_and_value()
    {
        Assert.Equal(65536, Read("{}").Admin.MaxMessageBytes);
        Assert.Equal(4096, Read("""{ "MaxMessageBytes": 4096 }""").Admin.MaxMessageBytes);
        Assert.Equal(["Admin:MaxMessageBytes \"10\" must be a whole number from 1024 to 16777216"],
            Read("""{ "MaxMessageBytes": 10 }""").Errors);
    }

    [Fact]
    public void KeepAliveSeconds_defaults_to_15_and_a_bad_value_names_key_and_value()
    {
        Assert.Equal(15, Read("{}").Admin.KeepAliveSeconds);
        Assert.Equal(1, Read("""{ "KeepAliveSeconds": 1 }""").Admin.KeepAliveSeconds);
        Assert.Equal(300, Read("""{ "KeepAliveSeconds": 300 }""").Admin.KeepAliveSeconds);
        Assert.Equal(["Admin:KeepAliveSeconds \"0\" must be a whole number from 1 to 300"], Read("""{ "KeepAliveSeconds": 0 }""").Errors);
        Assert.Equal(["Admin:KeepAliveSeconds \"301\" must be a whole number from 1 to 300"], Read("""{ "KeepAliveSeconds": 301 }""").Errors);
        Assert.Equal(["Admin:KeepAliveSecond is not a known setting (did you mean Admin:KeepAliveSeconds?)"],
            Read("""{ "KeepAliveSecond": 5 }""").Errors);
    }

    [Trait("Storage", TestStorage.SqliteFileTrait)] // the real binary, on its default SQLite file whatever UW_TEST_PROVIDER says
    [Fact]
    public async Task Bad_admin_settings_from_the_environment_stop_start_up_naming_key_and_value()
    {
        var work = TestPaths.NewTempDirectory();

        await using var host = HostProcess.Start(work, [], new Dictionary<string, string>
        {
            ["UptimeWatch__DataDirectory"] = "state",
            ["UptimeWatch__Admin__InitialPassword"] = "hunter2",
            ["UptimeWatch__Admin__AllowedOrigins__0"] = "ftp://files.example.com",
        });
        var exitCode = await host.WaitForExitAsync();

        Assert.Equal(2, exitCode);
        Assert.Contains("Admin:InitialPassword (\"***\", 7 characters) must be at least 12 characters long", host.Stderr);
        Assert.Contains("Admin:AllowedOrigins:0 \"ftp://files.example.com\" must be an origin", host.Stderr);
        Assert.DoesNotContain("hunter2", host.Stderr + host.Stdout);
    }
}

using Microsoft.Extensions.Configuration;
using UptimeWatch.Configuration;
using UptimeWatch.Tests.EndToEnd;
using UptimeWatch.Tests.Operations;

namespace UptimeWatch.Tests.Configuration;

/// <summary>The settings besides the monitors are refused like the monitors' fields: unknown keys, bad values, named.</summary>
public sealed class SettingsValidationTests
{
    private const string Secret = "s3cr3t-Pa55w0rd";
    private const string PostgresConnectionString = $"Host=127.0.0.1;Port=5432;Username=uw;Password={Secret};Database=uptimewatch";

    private static UptimeWatchOptions Read(string json) =>
        UptimeWatchConfigReader.Read(new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build());

    [Theory]
    [InlineData("Storage", "WriteBatchSise", "Storage:WriteBatchSise is not a known setting (did you mean Storage:WriteBatchSize?)")]
    [InlineData("Storage", "Provder", "Storage:Provder is not a known setting (did you mean Storage:Provider?)")]
    [InlineData("Scheduler", "MaxConcurency", "Scheduler:MaxConcurency is not a known setting (did you mean Scheduler:MaxConcurrency?)")]
    [InlineData("Probing", "CaCertificateFile", "Probing:CaCertificateFile is not a known setting (did you mean Probing:CaCertificatesFile?)")]
    [InlineData("Live", "HeartbeatSecs", "Live:HeartbeatSecs is not a known setting (did you mean Live:HeartbeatSeconds?)")]
    [InlineData("StatusPage", "Titel", "StatusPage:Titel is not a known setting (did you mean StatusPage:Title?)")]
    [InlineData("Retention", "RawDay", "Retention:RawDay is not a known setting (did you mean Retention:RawDays?)")]
    [InlineData("Retention", "Forever", "Retention:Forever is not a known setting")]
    public void An_unknown_key_in_a_settings_section_is_refused_with_the_closest_name(string section, string key, string error)
    {
        var options = Read($$"""{ "UptimeWatch": { "{{section}}": { "{{key}}": "1" } } }""");

        Assert.Equal([error], options.Errors);
    }

    [Fact]
    public void A_settings_section_given_as_one_value_is_refused_without_repeating_it()
    {
        var options = Read($$"""{ "UptimeWatch": { "Storage": "{{PostgresConnectionString}}" } }""");

        Assert.Equal(["UptimeWatch:Storage must be a group of settings ({ \"Key\": value }), not a single value"], options.Errors);
    }

    [Fact]
    public void Every_documented_setting_is_known()
    {
        var options = Read("""
            { "UptimeWatch": {
                "Storage": { "Provider": "sqlite", "ConnectionString": "Data Source=/tmp/x.db;Cache=Shared", "WriteQueueCapacity": 1000, "WriteBatchSize": 10, "WriteWindowMilliseconds": 0 },
                "Scheduler": { "MaxConcurrency": 10, "ShutdownTimeoutSeconds": 5, "ClusterCheckinSeconds": 7, "NodeId": "node-a_1" },
                "Live": { "HeartbeatSeconds": 5, "RetryMs": 1000, "MaxStreams": 10, "MaxStreamsPerIp": 5, "ClientQueueSize": 16, "MaxPollTimeoutSeconds": 5, "CheckFrameMs": 500 },
                "StatusPage": { "Title": "T", "Description": "D", "Footer": "F", "LogoUrl": "/logo.png" },
                "Retention": { "RawDays": 3, "RollupDays": 30 } } }
            """);

        Assert.Empty(options.Errors);
        Assert.Equal("Sqlite", options.Storage.Provider);
        Assert.Equal("Data Source=/tmp/x.db;Cache=Shared", options.Storage.ConnectionString);
        Assert.Equal(7, options.Scheduler.ClusterCheckinSeconds);
        Assert.Equal("node-a_1", options.Scheduler.NodeId);
    }

    [Fact]
    public void The_node_id_defaults_to_the_machine_and_process_and_the_check_in_to_5_seconds()
    {
        var options = Read("""{ "UptimeWatch": { } }""");

        Assert.Empty(options.Errors);
        Assert.Equal(5, options.Scheduler.ClusterCheckinSeconds);
        Assert.EndsWith($"-{Environment.ProcessId}", options.Scheduler.NodeId);
        Assert.Matches("^[A-Za-z0-9_-]{1,64}$", options.Scheduler.NodeId);
    }

    [Theory]
    [InlineData("\"ClusterCheckinSeconds\": 0", "Scheduler:ClusterCheckinSeconds \"0\" must be a whole number from 1 to 300")]
    [InlineData("\"ClusterCheckinSeconds\": \"soon\"", "Scheduler:ClusterCheckinSeconds \"soon\" must be a whole number from 1 to 300")]
    [InlineData("\"NodeId\": \"node a\"", "Scheduler:NodeId \"node a\" must be 1 to 64 letters, digits, '-' or '_'")]
    [InlineData("\"NodeId\": \"\"", "Scheduler:NodeId \"\" must be 1 to 64 letters, digits, '-' or '_'")]
    [InlineData("\"NodeId\": \"nœud\"", "Scheduler:NodeId \"nœud\" must be 1 to 64 letters, digits, '-' or '_'")]
    public void A_bad_cluster_setting_names_the_field_and_the_value(string setting, string error)
    {
        var options = Read($$"""{ "UptimeWatch": { "Scheduler": { {{setting}} } } }""");

        Assert.Equal([error], options.Errors);
    }

    [Theory]
    [InlineData("PostgreSQL")]
    [InlineData("postgres")]
    [InlineData("Npgsql")]
    public void PostgreSQL_is_taken_with_its_connection_string(string provider)
    {
        var options = Read($$"""{ "UptimeWatch": { "Storage": { "Provider": "{{provider}}", "ConnectionString": "{{PostgresConnectionString}}" } } }""");

        Assert.Empty(options.Errors);
        Assert.Equal("PostgreSQL", options.Storage.Provider);
        Assert.Equal(PostgresConnectionString, options.Storage.ConnectionString);
    }

    [Theory]
    [InlineData("Oracle", "Storage:Provider \"Oracle\" is not a storage provider: use \"Sqlite\" or \"PostgreSQL\"")]
    [InlineData("SqlServer", "Storage:Provider \"SqlServer\" is not available in this version of UptimeWatch: use \"Sqlite\" (one node) or \"PostgreSQL\" (one or several nodes)")]
    public void An_unknown_provider_is_an_error_naming_the_field_and_value_without_the_connection_string(string provider, string error)
    {
        var options = Read($$"""{ "UptimeWatch": { "Storage": { "Provider": "{{provider}}", "ConnectionString": "{{PostgresConnectionString}}" } } }""");

        Assert.Equal([error], options.Errors);
    }

    [Theory]
    [InlineData("eth1", "Probing:SourceAddress \"eth1\" must be an IP address of this machine (for example 192.0.2.10 or 2001:db8::10)")]
    [InlineData("fe80::1%eth0", "Probing:SourceAddress \"fe80::1%eth0\" must be an IP address of this machine (for example 192.0.2.10 or 2001:db8::10)")]
    // An address of the documentation range, on no interface here: binding to it is refused, and nothing is sent.
    [InlineData("192.0.2.10", "Probing:SourceAddress 192.0.2.10 is not an address this machine can send from: ")]
    public void A_source_address_that_is_not_one_of_this_machines_is_an_error_naming_it(string value, string error)
    {
        var options = Read($$"""{ "UptimeWatch": { "Probing": { "SourceAddress": "{{value}}" } } }""");

        Assert.StartsWith(error, Assert.Single(options.Errors));
        Assert.Null(options.Probing.SourceAddress);
    }

    [Theory]
    [InlineData("us east")]
    [InlineData("")]
    [InlineData("a-location-name-longer-than-32-chars")]
    public void A_location_name_that_is_not_a_short_label_is_an_error_naming_it(string value)
    {
        var options = Read($$"""{ "UptimeWatch": { "Location": "{{value}}" } }""");

        Assert.Equal([$"Location \"{value}\" must be 1 to 32 letters, digits, '-', '_' or '.' (a name such as us-east or office)"], options.Errors);
        Assert.Equal("local", options.Location);
    }

    [Fact]
    public void The_location_is_local_unless_named()
    {
        Assert.Equal("local", Read("""{ "UptimeWatch": {} }""").Location);
        Assert.Equal("us-east.2", Read("""{ "UptimeWatch": { "Location": " us-east.2 " } }""").Location);
    }

    [Fact]
    public void A_loopback_source_address_is_taken()
    {
        var options = Read("""{ "UptimeWatch": { "Probing": { "SourceAddress": " 127.0.0.2 " } } }""");

        Assert.Empty(options.Errors);
        Assert.Equal(System.Net.IPAddress.Parse("127.0.0.2"), options.Probing.SourceAddress);
    }

    [Fact]
    public void PostgreSQL_without_a_connection_string_is_an_error_naming_the_field()
    {
        var options = Read("""{ "UptimeWatch": { "Storage": { "Provider": "PostgreSQL" } } }""");

        var error = Assert.Single(options.Errors);
        Assert.StartsWith("Storage:ConnectionString is required when Storage:Provider is \"PostgreSQL\"", error);
    }

    [Theory]
    [InlineData($"Host=db;Database=uw;Password={Secret};Data Source=x.db", "Storage:ConnectionString \"Host=db;Database=uw;Password=***;Data Source=x.db\" is not a PostgreSQL connection string: Npgsql does not know the keyword(s) \"Data Source\"")]
    [InlineData($"Host=db;Port=fifty;Password={Secret}", "Storage:ConnectionString \"Host=db;Port=fifty;Password=***\" has a value Npgsql cannot use")]
    [InlineData($"Database=uw;Password={Secret}", "Storage:ConnectionString \"Database=uw;Password=***\" does not name the server: add Host=<name or address>")]
    [InlineData($"Host=db;Password='{Secret}", "Storage:ConnectionString \"***\" cannot be parsed")]
    public void A_connection_string_PostgreSQL_cannot_use_names_the_field_and_the_value_with_the_password_masked(string connectionString, string error)
    {
        var options = Read($$"""{ "UptimeWatch": { "Storage": { "Provider": "PostgreSQL", "ConnectionString": "{{connectionString}}" } } }""");

        var actual = Assert.Single(options.Errors);
        Assert.StartsWith(error, actual);
        Assert.DoesNotContain(Secret, actual);
        Assert.Null(options.Storage.ConnectionString);
    }

    [Theory]
    [InlineData(PostgresConnectionString, "is not a SQLite connection string: SQLite does not know the keyword(s) \"Host\", \"Port\", \"Username\", \"Database\"")]
    [InlineData($"Data Source=x.db;Password={Secret}", "sets a Password, but the SQLite shipped with UptimeWatch does not encrypt databases")]
    [InlineData($"Data Source=x.db;Mode=Secret{Secret}", "has a value SQLite cannot use")]
    [InlineData($"Data Source=x.db;Password='{Secret}", "cannot be parsed")]
    [InlineData("Data Source=:memory:", "names an in-memory database")]
    [InlineData("Cache=Shared", "does not name the database file")]
    public void A_connection_string_SQLite_cannot_use_names_the_field_and_never_the_value(string connectionString, string problem)
    {
        var options = Read($$"""{ "UptimeWatch": { "Storage": { "ConnectionString": "{{connectionString.Replace("\"", "\\\"")}}" } } }""");

        var error = Assert.Single(options.Errors);
        Assert.StartsWith("Storage:ConnectionString ", error);
        Assert.Contains(problem, error);
        Assert.DoesNotContain(Secret, error);
        Assert.Null(options.Storage.ConnectionString);
    }

    [Trait("Storage", TestStorage.SqliteFileTrait)] // the real binary, on its default SQLite file whatever UW_TEST_PROVIDER says
    [Fact]
    public async Task The_real_binary_refuses_an_unavailable_provider_with_exit_2_a_sentence_no_stack_trace_and_no_secret()
    {
        var work = TestPaths.NewTempDirectory();
        var config = ServingProcess.WriteConfig(work, [], new { Storage = new { Provider = "SqlServer", ConnectionString = PostgresConnectionString } });

        await using var host = HostProcess.Start(work, ["--config", config]);
        var exitCode = await host.WaitForExitAsync();
        var validate = await HostProcess.RunAsync(work, ["validate-config", config]);

        var output = host.Stdout + host.Stderr;
        Assert.Equal(2, exitCode);
        Assert.Contains("UptimeWatch did not start: the configuration has 1 error(s):", host.Stderr);
        Assert.Contains("  - Storage:Provider \"SqlServer\" is not available in this version of UptimeWatch", host.Stderr);
        Assert.DoesNotContain(Secret, output);
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("Exception", output);
        Assert.False(Directory.Exists(Path.Combine(work, "data")), "a refused configuration must not create the data folder");

        Assert.Equal(2, validate.ExitCode);
        Assert.Contains("Storage:Provider \"SqlServer\" is not available in this version of UptimeWatch", validate.Stderr);
        Assert.DoesNotContain(Secret, validate.Stdout + validate.Stderr);
    }

    [Trait("Storage", TestStorage.SqliteFileTrait)] // the real binary, on its default SQLite file whatever UW_TEST_PROVIDER says
    [Fact]
    public async Task The_real_binary_refuses_a_connection_string_SQLite_cannot_parse_with_exit_2_naming_the_field_only()
    {
        var work = TestPaths.NewTempDirectory();
        var config = ServingProcess.WriteConfig(work, [], new { Storage = new { ConnectionString = PostgresConnectionString } });

        await using var host = HostProcess.Start(work, ["--config", config]);
        var exitCode = await host.WaitForExitAsync();
        var validate = await HostProcess.RunAsync(work, ["validate-config", config]);

        var output = host.Stdout + host.Stderr;
        Assert.Equal(2, exitCode);
        Assert.Contains("  - Storage:ConnectionString is not a SQLite connection string", host.Stderr);
        Assert.DoesNotContain(Secret, output);
        Assert.DoesNotContain("   at ", output);
        Assert.Equal(2, validate.ExitCode);
        Assert.Contains("Storage:ConnectionString is not a SQLite connection string", validate.Stderr);
        Assert.DoesNotContain(Secret, validate.Stdout + validate.Stderr);
    }
}

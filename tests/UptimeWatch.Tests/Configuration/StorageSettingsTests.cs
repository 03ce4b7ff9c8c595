using Microsoft.Extensions.Configuration;
using UptimeWatch.Configuration;

namespace UptimeWatch.Tests.Configuration;

/// <summary><c>UptimeWatch:Storage:UnhealthyAfterSeconds</c>: how long failing writes are tolerated before /healthz says so.</summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class StorageSettingsTests
{
    private static UptimeWatchOptions Read(string storage) => UptimeWatchConfigReader.Read(new ConfigurationBuilder()
        .AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes($$"""{ "UptimeWatch": { "Storage": {{storage}} } }""")))
        .Build());

    [Fact]
    public void UnhealthyAfterSeconds_defaults_to_ten_and_takes_a_whole_number_of_seconds()
    {
        Assert.Equal(10, Read("{}").Storage.UnhealthyAfterSeconds);
        var set = Read("""{ "UnhealthyAfterSeconds": 60 }""");

        Assert.Empty(set.Errors);
        Assert.Equal(60, set.Storage.UnhealthyAfterSeconds);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("3601")]
    [InlineData("\"soon\"")]
    public void An_UnhealthyAfterSeconds_out_of_range_is_an_error_naming_the_field_and_value(string value)
    {
        var options = Read($$"""{ "UnhealthyAfterSeconds": {{value}} }""");

        Assert.Equal([$"Storage:UnhealthyAfterSeconds \"{value.Trim('"')}\" must be a whole number from 1 to 3600"], options.Errors);
    }
}

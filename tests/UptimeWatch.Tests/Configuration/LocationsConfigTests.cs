using UptimeWatch.Configuration;

namespace UptimeWatch.Tests.Configuration;

/// <summary>A monitor's <c>Locations</c> and <c>Quorum</c>: where it is checked from, and how many must agree.</summary>
[Trait("Storage", TestStorage.NoStorageTrait)]
public sealed class LocationsConfigTests
{
    private static (MonitorDefinition? Monitor, List<string> Errors) Validate(params (string Field, string Value)[] fields)
    {
        var map = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase) { ["Name"] = "m", ["Url"] = "https://example.com/" };
        foreach (var (field, value) in fields)
        {
            map[field] = value;
        }
        var errors = new List<FieldError>();
        return (MonitorValidator.Validate(map, errors), errors.Select(e => e.ToString()).ToList());
    }

    [Fact]
    public void Without_Locations_a_monitor_is_checked_by_this_server_only()
    {
        var monitor = Validate().Monitor!;

        Assert.Equal(LocationSet.Default, monitor.Locations);
        Assert.Null(monitor.Quorum);
        Assert.True(monitor.Locations.IncludesServer("local"));
        Assert.False(monitor.Locations.IncludesAgent("eu-west"));
    }

    [Fact]
    public void A_list_of_names_from_the_config_file_or_one_string_with_commas_are_the_same()
    {
        var list = Validate(("Locations:0", "local"), ("Locations:1", "eu-west"), ("Locations:2", "US-East")).Monitor!;
        var text = Validate(("Locations", " local, eu-west ,US-East")).Monitor!;

        Assert.Equal(["local", "eu-west", "US-East"], list.Locations.Names);
        Assert.Equal(list.Locations, text.Locations);
        Assert.True(list.Locations.IncludesServer("LOCAL"));
        Assert.True(list.Locations.IncludesAgent("us-east"));
        Assert.False(list.Locations.IncludesAgent("office"));
    }

    [Fact]
    public void A_monitor_can_be_left_to_agents_alone()
    {
        var monitor = Validate(("Locations", "eu-west,us-east"), ("Quorum", "2")).Monitor!;

        Assert.False(monitor.Locations.IncludesServer("local"));
        Assert.Equal(2, monitor.Quorum);
    }

    [Fact]
    public void All_means_the_server_and_every_agent()
    {
        var monitor = Validate(("Locations", "all"), ("Quorum", "3")).Monitor!;

        Assert.True(monitor.Locations.All);
        Assert.True(monitor.Locations.IncludesServer("local"));
        Assert.True(monitor.Locations.IncludesAgent("anywhere"));
        Assert.Equal(3, monitor.Quorum);
    }

    [Theory]
    [InlineData("Locations", "eu west", "Locations \"eu west\" must be a location name (1 to 32 letters, digits, '-', '_' or '.' (a name such as us-east or office)) or all")]
    [InlineData("Locations", "eu-west,,us-east", "Locations \"\" must be a location name")]
    [InlineData("Locations", "eu-west,EU-WEST", "Locations \"EU-WEST\" is listed twice")]
    [InlineData("Locations", "all,eu-west", "Locations \"all, eu-west\" is either all or a list of names, not both")]
    public void A_bad_list_names_the_field_and_the_value(string field, string value, string expected) =>
        Assert.StartsWith(expected, Assert.Single(Validate((field, value)).Errors));

    [Theory]
    [InlineData("0")]
    [InlineData("3")]
    [InlineData("two")]
    public void A_quorum_outside_1_to_the_number_of_locations_is_an_error(string quorum) =>
        Assert.Equal($"Quorum \"{quorum}\" must be a whole number from 1 to the number of Locations (2)",
            Assert.Single(Validate(("Locations", "local,eu-west"), ("Quorum", quorum)).Errors));

    [Fact]
    public void A_quorum_without_locations_has_nobody_to_agree_with() =>
        Assert.Contains("Quorum \"1\" needs Locations", Assert.Single(Validate(("Quorum", "1")).Errors));

    [Fact]
    public void Push_monitors_take_no_locations()
    {
        var errors = Validate(("Url", ""), ("Type", "push"), ("Locations", "eu-west"), ("Quorum", "1")).Errors;

        Assert.Contains(errors, e => e.StartsWith("Locations \"eu-west\" is not used by push monitors", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Quorum \"1\" is not used by push monitors", StringComparison.Ordinal));
    }

    [Fact]
    public void More_than_32_locations_is_an_error() =>
        Assert.Contains("names more than 32 locations",
            Assert.Single(Validate(("Locations", string.Join(",", Enumerable.Range(1, 33).Select(i => $"loc{i}")))).Errors));
}

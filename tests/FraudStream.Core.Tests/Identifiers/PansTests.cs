using System.Text;
using FraudStream.Core.Identifiers;

namespace FraudStream.Core.Tests.Identifiers;

public sealed class PansTests
{
    [Theory]
    [InlineData("4111111111111111", true)]
    [InlineData("5500 0000 0000 0004", true)]
    [InlineData("4111-1111-1111-1111", true)]
    [InlineData("4111.1111.1111.1111", true)]
    [InlineData("PAN 4111111111111111 exp 12/29", true)]
    [InlineData("card_4111111111111111", true)]
    [InlineData("4222222222222", true)]
    [InlineData("4111111111111111 1234", true)]
    [InlineData("order 12 4111 1111 1111 1111", true)]
    [InlineData("4111111111111112", false)]
    [InlineData("4111  1111  1111  1111", false)]
    [InlineData("card-000123", false)]
    [InlineData("tx-2026-11-29-0001", false)]
    [InlineData("amount 123456789012", false)]
    public void A_card_number_is_13_to_19_luhn_valid_digits_with_single_separators(string text, bool expected) =>
        Assert.Equal(expected, Pans.Contains(text));

    [Theory]
    [InlineData("4111111111111111", "************1111")]
    [InlineData("PAN 4111.1111.1111.1111 ok", "PAN ****.****.****.1111 ok")]
    [InlineData("a 5500-0000-0000-0004 b 4111111111111111", "a ****-****-****-0004 b ************1111")]
    [InlineData("41111111111111114111111111111111", "************1111************1111")]
    [InlineData("no card here 12345", "no card here 12345")]
    public void Masking_hides_all_but_the_last_four_digits_and_keeps_the_rest(string text, string expected) =>
        Assert.Equal(expected, Pans.Mask(text));

    [Fact]
    public void Text_without_a_card_number_is_returned_as_is()
    {
        const string text = "merchant 4111111111111112";
        Assert.Same(text, Pans.Mask(text));
    }

    [Fact]
    public void Raw_json_is_masked_in_place_including_escaped_digits()
    {
        var json = Encoding.UTF8.GetBytes("{\"card\":\"4111 1111 1111 1111\",\"x\":\"\\u0034\\u0031\\u0031\\u0031111111111111\",\"amount\":0}");
        var length = json.Length;
        Pans.Mask(json.AsSpan());
        var masked = Encoding.UTF8.GetString(json);
        Assert.Equal(length, json.Length);
        Assert.Equal("{\"card\":\"**** **** **** 1111\",\"x\":\"\\u002a\\u002a\\u002a\\u002a********1111\",\"amount\":0}", masked);
    }

    /// <summary>
    /// Found by the hostile corpus: a message cut inside a card number (`{"card":"650725965`) kept its first digits in
    /// clear in the dead letter, since what is left is too short, or fails Luhn. A number the text ends in is masked
    /// whole from 9 digits (a 13-digit card number without its last four); a shorter one and one not at the end are kept.
    /// </summary>
    [Theory]
    [InlineData("{\"card\":\"650725965", "{\"card\":\"*********")]
    [InlineData("{\"card\":\"4152-9298-5442-", "{\"card\":\"****-****-****-")]
    [InlineData("{\"card\":\"4152-9298-5", "{\"card\":\"****-****-*")]
    [InlineData("{\"card\":\"5419 1055 44", "{\"card\":\"**** **** **")]
    [InlineData("{\"c\":\"\\u0036\\u00355419105544", "{\"c\":\"\\u002a\\u002a**********")]
    [InlineData("{\"card\":\"41111111", "{\"card\":\"41111111")]
    [InlineData("{\"card\":\"4111 1111 ", "{\"card\":\"4111 1111 ")]
    [InlineData("{\"amount\":123456789}", "{\"amount\":123456789}")]
    [InlineData("123456789", "*********")]
    [InlineData("", "")]
    public void The_number_a_cut_text_ends_in_is_masked_whole(string text, string expected)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Pans.MaskCutNumber(bytes.AsSpan());
        Assert.Equal(expected, Encoding.UTF8.GetString(bytes));
    }
}

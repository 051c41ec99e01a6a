"""`netcron schedule preview --solar`: sun events at a place, bad coordinates as one-line errors."""

from __future__ import annotations

from tests.factories import run_cli as netcron


def test_a_solar_preview_prints_the_first_sunsets_after_the_midnight_sun(capsys):
    code, out, _ = netcron(capsys, "schedule", "preview", "--solar", "sunset", "--lat", "69.65", "--lon", "18.96",
                           "--tz", "Europe/Oslo", "--after", "2026-06-21T00:00:00Z", "--count", "2", "--local")
    assert code == 0
    assert out.splitlines() == ["2026-07-26T22:10:16Z  2026-07-27 00:10:16 CEST (+02:00)",
                                "2026-07-27T21:56:51Z  2026-07-27 23:56:51 CEST (+02:00)"]


def test_negative_coordinates_are_read_as_values(capsys):
    code, out, _ = netcron(capsys, "schedule", "preview", "--solar", "sunrise", "--lat", "-33.87", "--lon",
                           "-70.65", "--after", "2026-06-21T00:00:00Z", "--count", "1")
    assert (code, out.split()) == (0, ["2026-06-21T11:47:46Z"])  # Santiago de Chile, 07:47 local


def test_a_latitude_out_of_range_exits_2_with_one_line_naming_it(capsys):
    code, out, err = netcron(capsys, "schedule", "preview", "--solar", "sunrise", "--lat", "91", "--lon", "0")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == ["netcron: latitude: latitude must be from -90 to 90 degrees, got 91.0"]


def test_a_solar_preview_without_coordinates_names_the_missing_one(capsys):
    code, _, err = netcron(capsys, "schedule", "preview", "--solar", "dusk_civil", "--lon", "0")
    assert code == 2 and err.startswith("netcron: latitude: latitude is required")

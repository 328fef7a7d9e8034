"""Importing the analytics CSV exports of YouTube Studio, TikTok and Instagram."""

from __future__ import annotations

import pytest

from storyexport.registry import RegistryError
from storyexport.registry.csv_import import detect_platform, import_csv, load_mappings

YOUTUBE = """\ufeffContent,Video title,Video publish time,Duration,Views,Likes,Shares,Comments added
Total,,,,"13,500",700,40,25
yt111AAAbbb,Story a1,"Jan 2, 2025",42,"12,000",650,35,20
yt222CCCddd,Some other channel video,"Jan 3, 2025",30,"1,500",50,5,5
"""
TIKTOK = """Video title,Video link,Post time,Total views,Total likes,Total comments,Total shares
my day #b2,https://www.tiktok.com/@me/video/7001,2025-01-02,1.2K,300,12,9
unrelated,https://www.tiktok.com/@me/video/9999,2025-01-02,50,1,0,0
"""
INSTAGRAM = """Post ID,Account username,Description,Duration (sec),Publish time,Permalink,Post type,\
Views,Likes,Shares,Comments,Saves
1789,me,"New reel! id a1 #reels",30,01/02/2025 10:00,https://www.instagram.com/reel/ABC/,Reel,900,80,4,3,2
"""


@pytest.fixture
def stories(registry, register):
    register(registry, "a1", platforms=("youtube", "tiktok", "instagram"))
    register(registry, "b2", platforms=("youtube", "tiktok"))
    registry.update_publish_status("a1", "youtube", "published", "https://youtube.com/shorts/yt111AAAbbb")
    return registry


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_mappings_are_data_and_detect_each_export():
    mappings = load_mappings()
    assert set(mappings) == {"youtube", "tiktok", "instagram"}
    for text, platform in ((YOUTUBE, "youtube"), (TIKTOK, "tiktok"), (INSTAGRAM, "instagram")):
        header = text.lstrip("\ufeff").splitlines()[0].split(",")
        assert detect_platform(header, mappings) == platform


def test_youtube_rows_match_by_video_id_in_url_and_skip_total(stories, tmp_path):
    result = import_csv(stories, write(tmp_path, "Table data.csv", YOUTUBE))
    assert (result.platform, result.rows, result.recorded) == ("youtube", 2, 1)
    assert result.unmatched == ["Table data.csv:4: Some other channel video (yt222CCCddd)"]
    snap = stories.snapshots("a1")[-1]
    assert (snap.platform, snap.counts.views, snap.counts.likes, snap.counts.shares, snap.counts.comments) == (
        "youtube", 12000, 650, 35, 20)


def test_tiktok_rows_match_by_id_in_title_and_parse_short_numbers(stories, tmp_path):
    result = import_csv(stories, write(tmp_path, "tiktok.csv", TIKTOK))
    assert result.recorded == 1 and len(result.unmatched) == 1
    snap = stories.snapshots("b2")[-1]
    assert (snap.platform, snap.counts.views, snap.counts.comments, snap.counts.shares) == ("tiktok", 1200, 12, 9)


def test_instagram_rows_match_by_id_in_description(stories, tmp_path):
    result = import_csv(stories, write(tmp_path, "ig.csv", INSTAGRAM))
    assert result.recorded == 1 and result.unmatched == []
    assert stories.get_video_info("a1")["performance"]["views"] == 900


def test_importing_the_same_file_twice_changes_nothing(stories, tmp_path):
    path = write(tmp_path, "Table data.csv", YOUTUBE)
    import_csv(stories, path)
    before = (stories.json_path.read_bytes(), stories.snapshots())
    again = import_csv(stories, path)
    assert (again.recorded, again.already_imported) == (0, 1)
    assert (stories.json_path.read_bytes(), stories.snapshots()) == before


def test_new_numbers_from_a_later_export_are_recorded(stories, tmp_path):
    import_csv(stories, write(tmp_path, "one.csv", YOUTUBE))
    import_csv(stories, write(tmp_path, "two.csv", YOUTUBE.replace('"12,000"', '"15,000"')))
    assert [s.counts.views for s in stories.snapshots("a1")] == [12000, 15000]


def test_unknown_header_and_bad_files_are_one_line_errors(stories, tmp_path):
    with pytest.raises(RegistryError, match=r"weird.csv: header matches none of the known exports"):
        import_csv(stories, write(tmp_path, "weird.csv", "a,b\n1,2\n"))
    with pytest.raises(RegistryError, match="empty CSV file"):
        import_csv(stories, write(tmp_path, "empty.csv", ""))
    with pytest.raises(RegistryError, match="file not found"):
        import_csv(stories, tmp_path / "missing.csv")


def test_bad_number_is_reported_not_fatal(stories, tmp_path):
    result = import_csv(stories, write(tmp_path, "ig.csv", INSTAGRAM.replace(",900,", ",lots,")))
    assert result.recorded == 0
    assert result.unmatched == ["ig.csv:2: New reel! id a1 #reels (1789): not a number: 'lots'"]


def test_date_option_sets_when_the_numbers_were_taken(stories, tmp_path):
    import_csv(stories, write(tmp_path, "ig.csv", INSTAGRAM), recorded_at="2025-01-05")
    assert stories.snapshots("a1")[-1].recorded_at == "2025-01-05T00:00:00+00:00"
    with pytest.raises(RegistryError, match="not an ISO-8601 date or date-time: 'last week'"):
        import_csv(stories, write(tmp_path, "ig2.csv", INSTAGRAM), recorded_at="last week")

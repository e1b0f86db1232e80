//! A posting schedule's weekly time slots ("Mondays at 09:30") in an IANA time zone, and the
//! instants they fall on, correct across daylight-saving changes.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::{FieldError, FieldErrors};

/// At most this many slots a week (ten a day).
pub const MAX_WEEKLY_SLOTS: usize = 70;

/// One weekly slot as stored and shown: `{"day": "mon", "time": "09:30"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklySlot {
    /// `mon`, `tue`, `wed`, `thu`, `fri`, `sat` or `sun`.
    pub day: String,
    /// The local time, `HH:MM` (24 h).
    pub time: String,
}

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// Checked weekly slots in a time zone, sorted by day then time, without repeats.
#[derive(Debug, Clone)]
pub struct WeeklySlots {
    time_zone: Tz,
    slots: Vec<(Weekday, NaiveTime)>,
}

impl WeeklySlots {
    /// Checks every slot (`slots[i].day`, `slots[i].time`), refusing repeats and more than
    /// [`MAX_WEEKLY_SLOTS`]; `time_zone` is an IANA name already checked.
    pub fn parse(time_zone: &str, slots: &[WeeklySlot]) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let time_zone: Tz = time_zone.parse().unwrap_or(chrono_tz::UTC);
        if slots.len() > MAX_WEEKLY_SLOTS {
            errors.push(FieldError::new(
                "slots",
                format!(
                    "has {} slots; at most {MAX_WEEKLY_SLOTS} a week",
                    slots.len()
                ),
            ));
        }
        let mut parsed: Vec<(Weekday, NaiveTime)> = Vec::with_capacity(slots.len());
        for (i, slot) in slots.iter().enumerate() {
            let day = DAYS.iter().find(|(name, _)| *name == slot.day).map(|d| d.1);
            let day = errors.check(day.ok_or_else(|| {
                FieldError::new(
                    &format!("slots[{i}].day"),
                    "must be mon, tue, wed, thu, fri, sat or sun",
                )
            }));
            let time = errors.check(parse_time(&slot.time).ok_or_else(|| {
                FieldError::new(
                    &format!("slots[{i}].time"),
                    "must be a time of day HH:MM from 00:00 to 23:59",
                )
            }));
            if let (Some(day), Some(time)) = (day, time) {
                if parsed.contains(&(day, time)) {
                    errors.push(FieldError::new(
                        &format!("slots[{i}]"),
                        format!("repeats {} {}", slot.day, slot.time),
                    ));
                }
                parsed.push((day, time));
            }
        }
        parsed.sort_by_key(|(day, time)| (day.num_days_from_monday(), *time));
        parsed.dedup();
        errors.or_value(Self {
            time_zone,
            slots: parsed,
        })
    }

    /// The slots as stored and shown, sorted.
    pub fn to_slots(&self) -> Vec<WeeklySlot> {
        self.slots
            .iter()
            .map(|(day, time)| WeeklySlot {
                day: DAYS
                    .iter()
                    .find(|d| d.1 == *day)
                    .map_or("mon", |d| d.0)
                    .to_string(),
                time: time.format("%H:%M").to_string(),
            })
            .collect()
    }

    /// Whether there is no slot at all.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The instants of the slots strictly after `after`, soonest first, up to `until`.
    ///
    /// A slot in the hour skipped when clocks go forward falls on the first instant after the
    /// gap (02:30 on a night that jumps from 02:00 to 03:00 is 03:00 local); a slot in the hour
    /// repeated when clocks go back is its first occurrence.
    pub fn instants(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        let first_day = after.with_timezone(&self.time_zone).date_naive() - Duration::days(1);
        (0..)
            .map(move |offset| first_day + Duration::days(offset))
            .take_while(move |day| {
                // The local day starts before `until` (two days of margin for any offset).
                day.and_time(NaiveTime::MIN).and_utc() <= until + Duration::days(2)
            })
            .flat_map(move |day| {
                let mut at: Vec<DateTime<Utc>> = self
                    .slots
                    .iter()
                    .filter(|(weekday, _)| *weekday == day.weekday())
                    .map(|(_, time)| self.instant(day, *time))
                    .collect();
                at.sort();
                at.dedup();
                at
            })
            .filter(move |at| *at > after && *at <= until)
    }

    fn instant(&self, day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        let local = day.and_time(time);
        match self.time_zone.from_local_datetime(&local) {
            LocalResult::Single(at) => at.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
            LocalResult::None => {
                // In a gap: walk forward a minute at a time to its end (gaps are at most hours).
                let mut probe = local;
                loop {
                    probe += Duration::minutes(1);
                    if let Some(at) = self.time_zone.from_local_datetime(&probe).earliest() {
                        return at.with_timezone(&Utc);
                    }
                }
            }
        }
    }
}

fn parse_time(raw: &str) -> Option<NaiveTime> {
    let (h, m) = raw.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(day: &str, time: &str) -> WeeklySlot {
        WeeklySlot {
            day: day.into(),
            time: time.into(),
        }
    }

    fn utc(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn next(slots: &WeeklySlots, after: &str, n: usize) -> Vec<String> {
        slots
            .instants(utc(after), utc(after) + Duration::days(60))
            .take(n)
            .map(|at| at.to_rfc3339())
            .collect()
    }

    #[test]
    fn slots_fall_on_their_local_times_soonest_first() {
        let slots = WeeklySlots::parse(
            "Europe/Paris",
            &[slot("wed", "18:00"), slot("mon", "09:30")],
        )
        .unwrap();
        // 2026-12-01 is a Tuesday; Paris is UTC+1 in winter.
        assert_eq!(
            next(&slots, "2026-12-01T10:00:00Z", 3),
            [
                "2026-12-02T17:00:00+00:00",
                "2026-12-07T08:30:00+00:00",
                "2026-12-09T17:00:00+00:00"
            ]
        );
        // Strictly after: a slot at exactly `after` is not offered.
        assert_eq!(
            next(&slots, "2026-12-02T17:00:00Z", 1),
            ["2026-12-07T08:30:00+00:00"]
        );
        assert_eq!(
            slots.to_slots(),
            [slot("mon", "09:30"), slot("wed", "18:00")]
        );
    }

    #[test]
    fn daylight_saving_changes_keep_the_local_time() {
        let slots = WeeklySlots::parse("Europe/Paris", &[slot("sun", "09:00")]).unwrap();
        // Clocks go forward on 2027-03-28 and back on 2027-10-31.
        assert_eq!(
            next(&slots, "2027-03-20T00:00:00Z", 3),
            [
                "2027-03-21T08:00:00+00:00",
                "2027-03-28T07:00:00+00:00",
                "2027-04-04T07:00:00+00:00"
            ]
        );
        assert_eq!(
            next(&slots, "2027-10-25T00:00:00Z", 2),
            ["2027-10-31T08:00:00+00:00", "2027-11-07T08:00:00+00:00"]
        );
    }

    #[test]
    fn a_slot_in_the_skipped_hour_moves_to_its_end_and_a_repeated_hour_counts_once() {
        let slots = WeeklySlots::parse("Europe/Paris", &[slot("sun", "02:30")]).unwrap();
        // 2027-03-28 02:30 does not exist in Paris (02:00 -> 03:00 CEST = 01:00Z).
        assert_eq!(
            next(&slots, "2027-03-27T00:00:00Z", 1),
            ["2027-03-28T01:00:00+00:00"]
        );
        // 2027-10-31 02:30 happens twice: the first (CEST, 00:30Z) only.
        assert_eq!(
            next(&slots, "2027-10-30T00:00:00Z", 2),
            ["2027-10-31T00:30:00+00:00", "2027-11-07T01:30:00+00:00"]
        );
    }

    #[test]
    fn bad_slots_are_refused_naming_each() {
        let refused = WeeklySlots::parse(
            "UTC",
            &[
                slot("monday", "09:30"),
                slot("tue", "24:00"),
                slot("wed", "9:30"),
                slot("thu", "10:00"),
                slot("thu", "10:00"),
            ],
        )
        .unwrap_err();
        let fields: Vec<&str> = refused.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["slots[0].day", "slots[1].time", "slots[2].time", "slots[4]"]
        );
        let many: Vec<WeeklySlot> = (0..71)
            .map(|i| slot("mon", &format!("{:02}:{:02}", i / 60, i % 60)))
            .collect();
        let refused = WeeklySlots::parse("UTC", &many).unwrap_err();
        assert_eq!(refused.iter().next().unwrap().field, "slots");
        assert!(WeeklySlots::parse("UTC", &[]).unwrap().is_empty());
    }
}

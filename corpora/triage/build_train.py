"""Generate the training/dev part of the triage corpus (patient-written messages).

Usage: python corpora/triage/build_train.py [--check] [--out PATH]

Writes ``train.jsonl`` next to this file: one JSON object a line with ``id``, ``text``,
``urgency``, ``destination``, ``split`` (train / dev), ``age_group`` (adult / child) and ``source``.
Labels follow ``LABELS.md``. Messages are composed from pieces (openers, a subject, one primary
clinical scenario with many lay paraphrases, details, companion complaints, denied red flags,
history, things tried, worries, closing questions) and then roughened (lower case, run-on
sentences, abbreviations, typos). Everything is drawn from ``random.Random(20261128)``, so the
output is the same on every run. ``--check`` validates an existing file and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "train.jsonl"
SEED = 20261128
SOURCE = "generated-v1"
DEV_SHARE = 0.15

URGENCIES = ("emergency", "urgent", "routine", "self_care")
DESTINATIONS = (
    "emergency_department", "primary_care", "pediatrics", "cardiology", "dermatology",
    "orthopedics", "obstetrics_gynecology", "mental_health", "gastroenterology", "ent",
    "urology", "pharmacy",
)
RANK = {"self_care": 0, "routine": 1, "urgent": 2, "emergency": 3}
ED, PC, PED, CARD, DERM, ORTHO = DESTINATIONS[:6]
OBGYN, MH, GI, ENT, URO, PHARM = DESTINATIONS[6:]

# Subject kinds: s = adult writing about self, t = teenager (13-17) writing about self,
# a = adult writing about another adult, c = parent writing about a child (1-17),
# i = parent writing about an infant (< 1 year).
KINDS = "stcai"
CHILD_KINDS = frozenset("tci")

# --------------------------------------------------------------------------------------------
# Scenario library
# --------------------------------------------------------------------------------------------
# Text pieces use tokens: {S} subject pronoun (i / he / she; the first subject token of a message
# about someone else becomes the noun phrase "my son (4)"), {Sb} i'm / he's, {Sh} i've / he's,
# {Sn} i'm not / he's not, {O} me / him, {P} my / his, {Pself} myself / himself, verb agreement
# {be} {have} {do} {dont} {havent} {s} {es} {ies}, and fillers {dur} (for 2 days) {ago} (2 days
# ago) {fever} {ifever} (infant fever) {normtemp} {gen_med} {heart_med} {allergy_med} {otc} {n_min}.
# A piece may start with "KINDS|" to restrict it to those subject kinds, e.g. "ci|..." for children.


@dataclass
class Scenario:
    id: str
    urg: str
    dest: str | dict
    who: dict
    core: list
    details: list = field(default_factory=list)
    short: list = field(default_factory=list)
    comp: list = field(default_factory=list)
    dur: tuple = ()
    tags: frozenset = frozenset()
    neg: tuple = ()
    excl: frozenset = frozenset()
    ages: tuple = (18, 89)
    kid: tuple = (1, 17)
    inf: tuple = (0.35, 0.95)
    sex: str | None = None
    sexcue: bool = False
    tried: bool = True
    sched: list = field(default_factory=list)
    n: int = 0


SCENARIOS: list[Scenario] = []


def sc(id, urg, dest, who, core, **kw):
    kw["tags"] = frozenset(kw.get("tags", ()))
    kw["excl"] = frozenset(kw.get("excl", ()))
    SCENARIOS.append(Scenario(id, urg, dest, who, core, **kw))


# ---- emergency ------------------------------------------------------------------------------

sc("chest_pain_cardiac", "emergency", ED, {"s": 5, "a": 4}, [
    "{Sh} got this crushing pain in {P} chest and it's going down {P} left arm",
    "it feels like an elephant is sitting on {P} chest, {Sb} all sweaty and sick to {P} stomach",
    "there's bad pressure in the middle of {P} chest that won't go away, it started {ago}",
    "chest pain that spreads up into {P} jaw and {Sb} pale and sweating buckets",
    "squeezing in {P} chest like a tight band, worse than anything before, and {S} feel{s} like {S} might pass out",
    "{S} {have} had heavy chest pain {dur} and now {P} left arm is going numb",
    "{P} chest hurts really bad, like a pressure, and {Sb} short of breath and clammy",
    "sa|got a heaviness in my chest while i was mowing and it hasn't eased off even sitting down",
    "a|{S} {be} clutching {P} chest saying it feels like a vise and {S} look{s} grey",
], details=[
    "{Sh} got high blood pressure and {P} dad had a heart attack at 50",
    "resting hasn't made it any better",
    "took an antacid in case it was heartburn but nothing changed",
    "now {Sb} throwing up too",
    "it came on while shoveling snow",
    "{S} took an aspirin already",
    "it's not getting any better",
], short=[
    "crushing chest pain going into {P} left arm",
    "chest pressure and sweating, won't stop",
    "{Sh} got bad chest pain and can't breathe right",
], comp=["{Sh} had some chest pressure on and off today that comes with sweating"],
   dur=("now",), tags={"chest_pain", "breathing"}, neg=("fever", "bleeding", "head_injury", "rash"),
   ages=(35, 89), n=30)

sc("stroke_signs", "emergency", ED, {"s": 2, "a": 7}, [
    "{P} face looks droopy on one side and {Sb} talking funny",
    "all of a sudden {S} can't lift {P} right arm and {P} words are coming out wrong",
    "{P} smile is crooked on one side and {S} keep{s} dropping things with {P} left hand",
    "{Sb} slurring {P} words like {Sb} drunk but {S} {havent} had anything to drink",
    "one side of {P} face went numb and {P} arm feels heavy and weak",
    "{S} suddenly can't find {P} words and the left side of {P} body feels weird",
    "{S} {was} fine at breakfast and now {P} mouth is drooping and {S} can't grip a cup",
    "a|{P} leg just gave out and {P} speech sounds slurred and {S} seem{s} confused",
    "a|{S} {be} trying to talk but it's gibberish and {P} right hand is limp",
    "s|my left arm and leg went weak and tingly {ago} and my face feels lopsided in the mirror",
], details=[
    "{S} {have} afib and take{s} a blood thinner",
    "it started {ago}",
    "{S} {was} watching tv when it happened",
    "{S} had a mini stroke a few years ago",
    "{P} vision is blurry in one eye too",
], short=[
    "face drooping and slurred speech",
    "{P} face is droopy and {P} arm is weak",
    "sudden weakness on one side, can't talk right",
], dur=("now",), tags={"neuro"}, neg=("chest_pain", "fever", "head_injury", "bleeding"),
   ages=(40, 89), n=32, tried=False)

sc("breathing_severe", "emergency", ED, {"s": 3, "a": 3, "c": 3, "i": 2}, [
    "sta|{S} can't catch {P} breath even sitting still and can't finish a sentence",
    "{P} lips look kind of blue and {Sb} struggling to breathe",
    "{Sb} breathing super fast and the skin between {P} ribs is sucking in with every breath",
    "stac|{P} inhaler isn't helping at all, used it 4 times and {Sb} still gasping",
    "stac|{Sb} wheezing so bad {S} can barely talk",
    "sta|every breath is a struggle, {Sb} leaning forward just to get air",
    "sta|{Sb} so short of breath {S} can't walk across the room",
    "ci|{Sb} grunting with every breath and {P} nostrils are flaring",
    "i|{Sb} breathing really fast and stopping for a few seconds and looks grey around the mouth",
    "c|{S} {be} making a high squeaky noise breathing in and can't get comfortable",
], details=[
    "{S} {have} asthma",
    "it got worse {ago}",
    "ci|{S} had a cold for a couple days before this",
    "sa|{S} {have} copd and use{s} oxygen at night",
    "sta|{Sb} scared and can't lie down",
], short=[
    "can't breathe, lips blue",
    "{Sb} struggling to breathe",
    "severe trouble breathing, inhaler not helping",
], dur=("now", "hours"), tags={"breathing", "asthma"}, neg=("chest_pain", "fever", "rash"),
   kid=(1, 12), inf=(0.1, 0.95), n=30, tried=False)

sc("anaphylaxis", "emergency", ED, {"s": 3, "a": 2, "c": 4}, [
    "got stung by a bee {ago} and now {P} throat feels like it's closing",
    "{S} ate something with peanuts and {P} lips and tongue are swelling up",
    "{P} face and lips are puffing up after {S} ate shrimp and {Sb} wheezing",
    "{Sb} allergic to nuts and had a cookie by mistake, now {Sh} got hives everywhere and {P} voice sounds tight",
    "after the first dose of the new antibiotic {P} tongue feels huge and it's hard to swallow",
    "{Sb} covered in hives, throwing up and {P} throat is tight after a wasp sting",
    "{P} eyes and lips swelled up fast after eating and {Sb} coughing and wheezy",
], details=[
    "{S} {dont} have an epipen",
    "used the epipen but {Sb} still not right",
    "{P} eyes are swelling shut",
    "it's getting worse fast",
    "{S} took a benadryl and it didn't help",
], short=[
    "bee sting, throat closing",
    "lips and tongue swelling after peanuts",
    "allergic reaction, can't swallow",
], dur=("now",), tags={"throat_swelling", "breathing", "rash", "allergy"},
   neg=("chest_pain", "fever"), kid=(2, 17), n=28, tried=False)

sc("suicidal_plan", "emergency", ED, {"s": 7, "a": 2, "c": 2, "t": 1}, [
    "st|i have pills saved up and i'm planning to take them all tonight",
    "st|i've decided how i'm going to kill myself and i don't think i can stop myself",
    "st|i wrote goodbye letters and i know how and when i'm going to do it",
    "st|i keep thinking about ending it, i have the rope ready and i don't feel safe",
    "st|i'm going to end my life this weekend, i have everything i need",
    "st|i want to die and i'm planning to drive into the river tonight",
    "ac|{S} told me {S} want{s} to die and {Sh} got a plan to take all {P} pills",
    "ac|found a note in {P} room saying goodbye and {Sb} talking about jumping off the bridge",
    "ac|{Sb} saying {S} {be} going to kill {Pself} tonight and {Sh} got a knife",
    "ac|{Sh} been texting me that {S} {have} a plan to end it and won't tell me where {S} {be}",
], details=[
    "st|i'm home alone right now",
    "st|i can't keep myself safe",
    "st|i've been feeling this way for weeks and tonight is different",
    "ac|i'm scared to leave {O} alone",
    "ac|{S} {have} depression and stopped {P} meds",
], short=[
    "st|i have a plan to kill myself tonight",
    "st|want to end it, have the pills ready",
    "ac|{S} {have} a plan to kill {Pself}",
], dur=(), tags={"si", "mood"}, neg=(), kid=(13, 17), tried=False, n=30)

sc("overdose", "emergency", ED, {"s": 2, "a": 3, "c": 4}, [
    "ac|{S} took a whole bottle of tylenol {ago}",
    "c|{S} got into grandma's pill organizer and might have swallowed some of her heart pills",
    "ac|{S} took way too many of {P} sleeping pills and {Sb} really drowsy now",
    "ac|found {O} with an empty bottle of {P} pain pills and {Sb} hard to wake",
    "c|{S} drank some of the dishwasher pods stuff and is coughing and drooling",
    "c|{S} ate a bunch of the iron pills that were on the counter",
    "s|i took like 30 of my sleeping pills {ago}, i feel really weird",
    "s|i took a whole pack of tylenol on purpose and now i'm scared",
    "s|i took way too much of my oxycodone by mistake and i can't keep my eyes open",
], details=[
    "{S} threw up once",
    "i have the bottle here",
    "not sure how many were in there",
    "it was about 20 pills",
], short=[
    "ac|{S} took a bottle of pills",
    "c|{S} swallowed grandma's pills",
    "s|took too many pills, feel weird",
], dur=("now",), tags={"overdose", "vomiting"}, neg=(), kid=(1, 17), tried=False, n=28)

sc("bleeding_uncontrolled", "emergency", ED, {"s": 5, "a": 2, "c": 2}, [
    "cut {P} hand with a kitchen knife and it's been pouring blood for 20 min even pressing hard",
    "blood is soaking through every towel, it won't stop no matter how hard {S} press{es}",
    "{P} leg got sliced on some glass and the bleeding won't stop, it's kind of spurting",
    "{Sh} been bleeding from {P} nose for over 40 minutes nonstop, pinching doesn't help and {Sb} getting lightheaded",
    "{S} {be} on blood thinners and cut {P} arm, it's still gushing after half an hour of pressure",
    "sa|the cut on my wrist from the broken glass won't stop bleeding, it's soaked through 3 dish towels",
    "{P} head cut keeps bleeding through the bandage, held pressure {dur} and it just keeps coming",
], details=[
    "{Sb} feeling faint",
    "it's really deep",
    "we've been holding pressure the whole time",
    "{S} {be} on eliquis",
], short=[
    "bleeding won't stop",
    "deep cut, bleeding through towels",
    "nosebleed won't stop 45 min",
], dur=("now",), tags={"bleeding", "cut"}, neg=("chest_pain", "fever"), kid=(3, 17), tried=False, n=28)

sc("infant_fever", "emergency", ED, {"i": 1}, [
    "{S} {have} a fever of {ifever}",
    "{Sb} feeling hot and the thermometer said {ifever} rectal",
    "temp is {ifever} and {Sb} not feeding as well as usual",
    "{Sb} warm and fussy, checked and it's {ifever}",
    "got a reading of {ifever} under the arm and {Sb} sleepier than normal",
    "{Sh} been running a temp of {ifever} since {ago}",
    "rectal temp {ifever}, {Sb} crying more than usual",
    "{Sb} feverish, {ifever} on our thermometer, and won't take the bottle much",
], details=[
    "{Sb} still having wet diapers",
    "{S} {was} born full term",
    "no one else is sick at home",
    "gave {O} nothing for it yet",
    "{S} had {P} shots last week",
    "{Sb} breastfed",
    "{P} older brother has a cold",
], short=[
    "{S} {have} a fever of {ifever}",
    "fever {ifever}, {Sb} fussy",
], comp=["{Sb} a bit stuffy"],
   dur=("hours",), tags={"fever"}, neg=("breathing", "rash", "vomiting"), inf=(0.02, 0.23),
   tried=False, n=32)

sc("seizure_prolonged", "emergency", ED, {"a": 3, "c": 4}, [
    "{Sh} been shaking all over and not responding for about {n_min} minutes and it won't stop",
    "{Sb} having a seizure and it's been going for over 5 minutes",
    "{S} {have} epilepsy and this seizure isn't stopping, it's been like {n_min} min",
    "{Sh} had one seizure after another and isn't waking up in between",
    "{S} collapsed and {P} arms and legs keep jerking, {S} {be} not answering me",
    "{P} eyes rolled back and {Sb} still twitching and stiff, it's been {n_min} minutes",
], details=[
    "{S} never had a seizure before",
    "we gave the rescue med and it didn't work",
    "{P} lips look a bit blue",
    "{S} hit {P} head on the way down",
], short=[
    "seizure not stopping {n_min} min",
    "{Sb} seizing and won't stop",
], dur=(), tags={"seizure", "unresponsive", "neuro"}, neg=("fever",), kid=(1, 17),
   tried=False, n=24)

sc("unresponsive", "emergency", ED, {"a": 5, "c": 2}, [
    "{S} won't wake up, {Sb} breathing but {S} {dont} respond to anything",
    "found {O} on the floor and {S} {be} not responding when i shake {O}",
    "{Sb} really confused and keeps passing out, can't stay awake",
    "a|{P} blood sugar meter says LO and {S} {be} barely responding",
    "{S} fainted and is still not waking up properly, just moaning",
    "{Sb} limp and won't open {P} eyes even when i yell {P} name",
], details=[
    "{S} {have} diabetes",
    "{S} {was} fine an hour ago",
    "{S} took {P} insulin but didn't eat",
    "{P} skin is cold and sweaty",
], short=[
    "{S} won't wake up",
    "unresponsive, breathing",
], dur=(), tags={"unresponsive", "neuro"}, neg=("bleeding",), kid=(1, 17), tried=False, n=24)

sc("thunderclap_headache", "emergency", ED, {"s": 5, "a": 3}, [
    "sudden headache, worst of {P} life, came on like a thunderclap {ago}",
    "the worst headache {Sh} ever had hit all at once and {Sb} throwing up",
    "got hit with an explosive pain in the back of {P} head out of nowhere, {S} can barely see straight",
    "headache came on in like a second while lifting, it's 10 out of 10 and {P} neck is stiff",
    "{S} {have} headaches sometimes but this one is totally different, came on instantly and is unbearable",
    "felt a pop in {P} head and then the worst pain ever, {Sb} dizzy and sick",
], details=[
    "tylenol did nothing",
    "the light hurts {P} eyes",
    "{S} never get{s} headaches like this",
    "{S} threw up twice",
], short=[
    "worst headache of {P} life, sudden",
    "sudden severe headache and stiff neck",
], dur=("now", "hours"), tags={"headache", "neuro", "vomiting"},
   neg=("fever", "head_injury", "chest_pain"), n=26)

sc("sepsis_signs", "emergency", ED, {"s": 1, "a": 5, "c": 1}, [
    "{Sb} confused, burning up and shaking with chills and {P} heart is racing, {S} had a uti last week",
    "{P} skin looks blotchy and cold, {Sb} breathing fast and barely making sense, temp was {fever} earlier",
    "{S} just had surgery last week and now {S} {have} a fever of {fever}, can't stop shivering and feel{s} like {Sb} dying",
    "{Sb} so weak {S} can't stand, {S} {havent} peed all day and {P} temp is {fever}",
    "{P} wound from the operation is red and oozing and now {Sb} feverish, confused and {P} heart is pounding",
], details=[
    "{S} {have} diabetes",
    "{S} {be} on antibiotics already",
    "{P} blood pressure on our machine was 82/50",
    "{S} {be} on chemo",
], short=[
    "fever, confused, shaking chills",
    "high fever and {Sb} not making sense",
], dur=("hours", "days"), tags={"fever", "neuro", "breathing"}, neg=("chest_pain", "rash"),
   ages=(30, 89), kid=(5, 17), n=24)

sc("testicular_torsion", "emergency", ED, {"s": 2, "c": 4}, [
    "sudden really bad pain in {P} left testicle, it's swollen and {Sb} throwing up",
    "{S} woke up with horrible pain in {P} balls, one side is higher and really tender",
    "{P} testicle started hurting out of nowhere {ago} and it's getting worse fast",
    "{Sb} doubled over with pain down there, {P} right testicle is swollen and {S} threw up twice",
    "c|{S} says {P} private area hurts a lot all of a sudden and one side looks bigger and red",
], details=[
    "it came on while {S} {was} sleeping",
    "{S} can't walk properly",
], short=[
    "sudden severe testicle pain and vomiting",
    "{P} testicle suddenly really painful and swollen",
], dur=("now",), tags={"testicle", "vomiting"}, neg=("fever", "injury", "uti"), sex="m",
   ages=(18, 30), kid=(10, 17), n=24)

sc("ectopic_signs", "emergency", ED, {"s": 5, "a": 1}, [
    "{Sb} about 6 weeks pregnant and {Sh} got sharp pain low on one side and {S} feel{s} like {Sb} going to faint",
    "positive test last week, now bad pain on {P} left side and pain in the tip of {P} shoulder and {Sb} dizzy",
    "{S} {have} a positive pregnancy test and now there's bad cramping on one side and some bleeding and {Sb} lightheaded",
    "missed {P} period, pain on {P} right side is getting really bad and {S} almost passed out in the shower",
    "early pregnant, maybe 7 weeks, and suddenly stabbing pain in {P} lower belly and {Sb} pale and sweaty",
], details=[
    "{S} had an ectopic before",
    "{S} {havent} had an ultrasound yet",
    "the pain is getting worse",
], short=[
    "pregnant, one sided pain, nearly fainted",
    "6 wks pregnant, sharp pain and dizzy",
], dur=("now", "hours"), tags={"pregnancy", "pain", "bleeding", "faint"}, neg=("fever", "uti"),
   sex="f", ages=(18, 42), n=24)

sc("gi_bleed_heavy", "emergency", ED, {"s": 3, "a": 3}, [
    "throwing up what looks like coffee grounds and {S} feel{s} weak",
    "{Sh} been vomiting blood, like a lot of it",
    "passing lots of black tarry poop and {S} nearly fainted when {S} stood up",
    "huge amount of blood when {S} went to the bathroom, the bowl was full of red and {Sb} dizzy",
    "{Sh} had bloody diarrhea all morning, like pure blood, and {Sb} pale and shaky",
], details=[
    "{S} take{s} a lot of ibuprofen for {P} back",
    "{S} {have} liver problems",
    "{S} {be} on a blood thinner",
], short=[
    "vomiting blood",
    "black tarry stool and fainting",
], dur=("now", "hours"), tags={"bleeding", "gi", "faint", "vomiting"}, neg=("chest_pain", "fever"),
   n=22)

sc("child_dehydration_severe", "emergency", ED, {"c": 3, "i": 2}, [
    "i|{S} {havent} had a wet diaper in 12 hours and {Sb} really floppy and sleepy",
    "c|{S} {havent} peed since yesterday and {Sb} really floppy and sleepy",
    "{Sh} been throwing up everything since yesterday, no tears when {S} cr{ies} and {P} lips are cracked",
    "{S} won't drink anything, {P} eyes look sunken and {Sb} hard to wake up",
    "{Sb} vomiting and has diarrhea nonstop, hasn't peed since this morning and just lies there",
    "i|{P} soft spot looks sunken, {S} {havent} had a wet nappy all day and won't feed",
], details=[
    "{S} had a stomach bug going around daycare",
    "we tried pedialyte but {S} throws it up",
    "{P} hands feel cold",
], short=[
    "i|no wet diaper 12 hrs, very sleepy",
    "c|hasn't peed all day, very sleepy",
    "{Sb} floppy and not peeing",
], dur=("hours", "days"), tags={"vomiting", "dehydration", "unresponsive"}, neg=("breathing", "rash"),
   kid=(1, 5), inf=(0.3, 0.95), tried=False, n=24)

sc("head_injury_severe", "emergency", ED, {"s": 1, "a": 3, "c": 3}, [
    "{S} fell off a ladder and hit {P} head, passed out for a bit and now {Sb} throwing up and confused",
    "{S} hit {P} head hard on the ice, {Sb} not making sense and keeps asking the same thing over and over",
    "{S} fell down the stairs, was knocked out for a minute and now one pupil looks bigger",
    "{S} got hit in the head at football and {Sb} throwing up over and over and really sleepy",
    "{S} hit {P} head in a car accident, now clear fluid is dripping from {P} nose and {Sb} drowsy",
], details=[
    "{S} {be} on blood thinners",
    "it happened {ago}",
    "{Sb} getting sleepier",
], short=[
    "head injury, passed out, vomiting",
    "hit head, confused and throwing up",
], dur=("now", "hours"), tags={"head_injury", "vomiting", "neuro", "injury"}, neg=("chest_pain", "fever"),
   kid=(3, 17), tried=False, n=24)

sc("pregnancy_emergency", "emergency", ED, {"s": 5, "a": 1}, [
    "{Sb} 34 weeks pregnant and {Sh} got a pounding headache, seeing spots and {P} face and hands swelled up",
    "{Sb} 30 weeks and bleeding heavily, soaking a pad every few minutes",
    "{Sb} 32 weeks pregnant and the baby hasn't moved at all today, plus bad constant belly pain",
    "{Sb} 28 weeks pregnant and {P} belly is rock hard and hurting nonstop with bleeding",
    "37 weeks pregnant, {P} bp at home is 170/110 and {S} {have} a terrible headache",
], details=[
    "this is {P} second baby",
    "{S} had high blood pressure last pregnancy",
    "it started {ago}",
], short=[
    "34 wks pregnant, headache and seeing spots",
    "pregnant 30 wks, heavy bleeding",
], dur=("now", "hours"), tags={"pregnancy", "headache", "bleeding", "pain"}, neg=("fever",),
   sex="f", ages=(18, 44), n=22)

sc("meningitis_child", "emergency", ED, {"c": 4, "a": 1}, [
    "{S} {have} a fever of {fever}, a stiff neck and a rash that doesn't fade when i press a glass on it",
    "{Sb} burning up, {P} neck is stiff, {S} hate{s} the light and purple spots are showing up on {P} legs",
    "{S} {have} a high temp and this dark spotty rash that doesn't go away when pressed, {Sb} really drowsy",
    "{S} can't bend {P} neck forward, {P} fever is {fever} and {Sb} throwing up",
], details=[
    "{S} {was} fine this morning",
    "c|{Sb} crying in a weird high pitched way",
    "tylenol didn't bring the fever down",
], short=[
    "fever, stiff neck, rash that doesn't fade",
], dur=("hours",), tags={"fever", "rash", "stiff_neck", "neuro", "vomiting"}, neg=("breathing",),
   ages=(18, 25), kid=(1, 17), tried=False, n=22)

sc("pulmonary_embolism", "emergency", ED, {"s": 4, "a": 1}, [
    "sudden sharp chest pain when {S} breathe{s} in and {Sb} really short of breath, {S} just got off a long flight",
    "{P} calf has been swollen and sore and now {S} can't catch {P} breath and {P} heart is racing",
    "{Sb} coughing up a bit of blood and suddenly really breathless, {S} had knee surgery 2 weeks ago",
    "out of nowhere {S} got breathless and {P} chest hurts with every breath, {S} {be} on birth control",
], details=[
    "{P} oxygen on the finger thing says 88",
    "{S} feel{s} like {S} might pass out",
], short=[
    "sudden short of breath and chest pain after flight",
], dur=("now", "hours"), tags={"breathing", "chest_pain"}, neg=("fever",), n=18)

# ---- urgent ---------------------------------------------------------------------------------

sc("ear_fever_toddler", "urgent", PED, {"c": 1}, [
    "{S} {have} a fever of {fever} and keeps pulling at {P} ear",
    "{Sb} tugging at {P} right ear, crying all night and felt hot, temp {fever}",
    "{Sh} had a cold {dur} and now {P} ear hurts and {Sb} running a fever",
    "{S} woke up screaming holding {P} ear, temp was {fever}",
    "{P} ear is bothering {O} a lot and {S} {have} a temp of {fever}, super cranky",
    "fever of {fever} since last night and {S} keeps rubbing {P} left ear and won't lie down",
], details=[
    "{Sb} still drinking ok",
    "{S} had an ear infection last winter too",
    "{Sb} in daycare",
    "{Sb} not sleeping well bc of it",
], short=[
    "ear pain and fever {fever}",
    "{S} {have} fever and ear pain",
], comp=["c|{S} keeps pulling at {P} ear and feels warm"],
   dur=("hours", "days"), tags={"fever", "ear", "cold"}, neg=("breathing", "rash", "stiff_neck", "vomiting"),
   kid=(1, 4), n=38)

sc("uti", "urgent", {"f": PC, "m": URO}, {"s": 8, "a": 2, "c": 1}, [
    "it burns when {S} pee{s} and {Sb} going every 10 minutes",
    "feels like {S} {have} a uti again, burning, peeing all the time and it smells strong",
    "burning and stinging when {S} pee{s}, {S} always {have} to go but only a little comes out",
    "pretty sure it's a bladder infection, lower belly pressure and burning {dur}",
    "{Sh} got pain peeing and {P} pee looks cloudy, it started {ago}",
    "peeing is really painful {dur} and {S} keep{s} feeling like {S} need{s} to go",
    "sa|i think i have a urine infection, it stings a lot and i'm up every hour to pee",
], details=[
    "{S} had one of these last year",
    "drinking lots of water and cranberry juice",
    "it's getting worse not better",
    "{S} can't really afford to miss work",
], short=[
    "burning when {S} pee{s}",
    "think {S} {have} a uti",
    "painful peeing {dur}",
], comp=["it also burns when {S} pee{s}"],
   dur=("hours", "days"), tags={"uti"}, neg=("fever", "vomiting", "bleeding"), sexcue=True,
   kid=(4, 15), n=46)

sc("laceration_stitches", "urgent", PC, {"s": 5, "a": 1, "c": 2}, [
    "cut {P} finger slicing bagels, bleeding stopped after pressure but it's pretty deep and gaping open",
    "gashed {P} knee on a metal edge, it stopped bleeding but the edges don't close",
    "sliced {P} thumb on a can lid {ago}, it's stopped bleeding but it opens up when {S} bend{s} it, might need stitches",
    "{S} fell and split {P} chin open, bleeding stopped with pressure but it's like half an inch long and deep",
    "cut {P} palm on a broken glass, bleeding is under control now but the cut is wide open",
    "{S} caught {P} arm on a nail, deep cut about an inch, it bled a lot at first but stopped",
], details=[
    "it's stopped bleeding now",
    "{S} can move {P} fingers fine",
    "not sure when {P} last tetanus shot was",
    "i put a bandaid on it for now",
], short=[
    "deep cut, might need stitches",
    "cut finger, stopped bleeding but gaping",
], comp=["also cut {P} hand earlier, stopped bleeding but it's kind of gaping"],
   dur=("now", "hours"), tags={"cut", "injury"}, neg=("fever", "head_injury", "faint"),
   kid=(2, 17), tried=False, n=36)

sc("asthma_worse_responds", "urgent", PC, {"s": 4, "a": 1, "c": 4}, [
    "{P} asthma has been acting up {dur}, {Sb} using the inhaler every 4 hours, it helps but then {S} get{s} wheezy again",
    "wheezing more than usual since {P} cold started, the albuterol works but wears off fast",
    "needing {P} rescue inhaler way more than normal, it does help and {S} can talk fine",
    "{P} chest feels tight and wheezy at night, the puffer helps for a few hours",
    "asthma flare {dur}, coughing at night, inhaler takes care of it but {S} need{s} it a lot",
], details=[
    "{Sn} struggling to breathe right now, just wheezy",
    "{S} can talk in full sentences",
    "{S} ran out of {P} steroid inhaler last month",
    "it's allergy season",
], short=[
    "asthma worse, using inhaler a lot",
], comp=["{P} asthma is also a bit worse, the inhaler helps"],
   dur=("days",), tags={"asthma", "cough", "breathing"}, neg=("fever", "chest_pain"),
   kid=(3, 17), n=34)

sc("ankle_no_weight", "urgent", ORTHO, {"s": 5, "a": 1, "c": 3, "t": 1}, [
    "twisted {P} ankle playing basketball, it's swollen and {S} can't put any weight on it",
    "rolled {P} ankle on the stairs {ago}, it's purple and {S} can't walk on it at all",
    "landed wrong jumping and now {P} foot is swollen and it hurts too much to stand",
    "tripped off the curb, heard a pop in {P} ankle and it's ballooned up, can't bear weight",
    "{S} stepped in a hole running and {P} ankle is huge, {Sb} hopping everywhere",
], details=[
    "ice isn't helping much",
    "{S} can wiggle {P} toes",
    "{S} sprained the same ankle last year",
    "there's a bruise coming out on the side",
], short=[
    "ankle swollen, can't walk on it",
    "twisted ankle can't bear weight",
], comp=["also rolled {P} ankle yesterday and can't put weight on it"],
   dur=("hours", "days"), tags={"injury", "ankle"}, neg=("fever", "head_injury", "bleeding"),
   kid=(6, 17), n=36)

sc("vomiting_mild_dehydration", "urgent", PC, {"s": 3, "a": 1, "c": 4, "i": 1}, [
    "{Sh} been throwing up since last night, can keep small sips of water down but {Sb} peeing less",
    "stomach bug, vomited like 6 times and had diarrhea, {Sb} a bit dizzy standing up",
    "{S} can't keep food down {dur}, mouth is dry, still peeing a little",
    "{Sh} had vomiting and diarrhea {dur}, drinking a bit but not much",
    "i|keeps throwing up after feeds, some milk stays down, fewer wet diapers than normal",
    "keep{s} throwing up after eating, water stays down sometimes, peeing less than normal",
], details=[
    "whole family had it",
    "{Sb} tired but awake and talking",
    "ci|{Sb} still playing a little between",
    "tried pedialyte",
], short=[
    "vomiting since last night, peeing less",
], comp=["{Sh} been throwing up and is peeing less than usual"],
   dur=("hours", "days"), tags={"vomiting", "gi"}, neg=("bleeding", "fever", "chest_pain", "head_injury"),
   kid=(1, 12), inf=(0.4, 0.95), n=36)

sc("rash_fever_adult", "urgent", PC, {"s": 4, "a": 2}, [
    "new rash all over {P} chest and back plus a fever of {fever}, otherwise {S} feel{s} ok",
    "broke out in red spots {ago} and {Sh} got a temp of {fever}",
    "got a blotchy rash and fever {dur}, {Sb} still eating and drinking fine",
    "itchy red bumps spreading on {P} arms and {Sb} running {fever}",
    "{S} started a new med last week and now {Sh} got a rash and a fever of {fever}",
], details=[
    "{Sb} otherwise well",
    "no one else at home has it",
    "it doesn't hurt, just itchy",
], short=[
    "rash and fever {fever}",
], dur=("days",), tags={"rash", "fever"}, neg=("breathing", "throat_swelling", "stiff_neck"), n=34)

sc("med_side_effect_decision", "urgent", PC, {"s": 5, "a": 1}, [
    "the new antibiotic is giving {O} diarrhea like 6 times today, should {S} stop it",
    "started the new blood pressure pill and {Sb} dizzy every time {S} stand{s} up, should {S} keep taking it",
    "since the dose went up {Sh} had bad nausea and can't eat much, should {S} go back to the old dose",
    "the steroid is keeping {O} up all night and {Sb} really jittery, can {S} stop early",
    "new med is making {O} so drowsy {S} nearly fell asleep driving, what should {S} do",
    "{P} ankles got really puffy since starting amlodipine, should {S} keep taking it tonight",
], details=[
    "{S} {have} one more dose due tonight",
    "{S} started it {ago}",
    "{S} {dont} want to stop it without asking",
], short=[
    "new med making {O} dizzy, stop or not",
], comp=["also the new pill makes {O} dizzy when {S} stand{s} up"],
   dur=("days",), tags={"side_effect"}, neg=("breathing", "throat_swelling", "chest_pain", "faint"),
   n=32)

sc("mh_crisis", "urgent", MH, {"s": 6, "a": 2, "t": 1}, [
    "st|i've been having panic attack after panic attack today, i'm not going to hurt myself but i need to talk to someone today",
    "st|i haven't slept in 3 days, my thoughts are racing and i feel out of control",
    "st|i'm completely falling apart since my divorce, can't stop crying and can't go to work",
    "st|i relapsed on drinking this week and i'm scared i'll keep going, i need help today",
    "st|everything feels unreal and i can't stop shaking, i need to see someone today",
    "a|{Sb} having panic attacks nonstop since yesterday and can't calm down",
    "a|{Sh} barely slept in days, talking really fast and spending money like crazy",
    "a|{Sb} crying for hours and won't eat since {P} mom died, i don't know what to do",
    "a|{S} started using again and is a mess, {S} asked me to get {O} help",
], details=[
    "st|i have no thoughts of hurting myself",
    "st|i'm safe right now",
    "a|{S} {havent} said anything about hurting {Pself}",
    "st|my therapist is on vacation",
    "{S} stopped {P} meds a month ago",
], short=[
    "st|panic attacks all day, need help today",
], dur=(), tags={"mood", "anxiety"}, neg=(), ages=(18, 70), kid=(14, 17), n=34)

sc("si_no_plan", "urgent", MH, {"s": 7, "a": 1, "t": 1}, [
    "st|sometimes i think everyone would be better off without me but i have no plan and i wouldn't do anything",
    "st|i've been having thoughts of not wanting to wake up, no plan, i just feel empty",
    "st|lately i get thoughts about dying, i would never act on it but it scares me",
    "st|i don't want to kill myself but i keep wishing i could just disappear",
    "st|having dark thoughts again, no plan or intent, but i think i need to talk to someone soon",
    "a|{S} said {S} sometimes wish{es} {S} wasn't here, no plan, but i'm worried",
    "a|{Sb} talking about feeling worthless and that it would be easier to not exist, {S} says {S} wouldn't do anything",
], details=[
    "st|i'm safe tonight",
    "st|i have my sister with me",
    "{S} {havent} been sleeping much",
    "it's been building for a while",
], short=[
    "st|thoughts of death, no plan, need to talk",
], dur=("weeks",), tags={"si", "mood"}, neg=(), kid=(14, 17), tried=False, n=34)

sc("kidney_stone", "urgent", URO, {"s": 5, "a": 1}, [
    "pain in {P} side that comes in waves, had kidney stones before and it feels exactly the same, the pain meds are helping",
    "think {Sh} got another stone, sharp pain from {P} back to {P} groin but it's manageable with ibuprofen",
    "the urologist said {S} {have} a small stone and now it's hurting more and {P} pee is pink",
    "flank pain on the right {dur}, comes and goes, {S} {have} a history of stones",
], details=[
    "{Sb} drinking lots of water",
    "{S} passed one last year",
    "{Sn} throwing up, keeping fluids down",
], short=[
    "kidney stone pain again",
], dur=("hours", "days"), tags={"kidney", "pain"}, neg=("fever",), n=38)

sc("wrist_injury", "urgent", ORTHO, {"s": 4, "a": 1, "c": 3}, [
    "fell on {P} outstretched hand, wrist is swollen and hurts to move but {S} can wiggle {P} fingers",
    "slipped on ice and landed on {P} arm, there's a bump on {P} wrist and it's really tender",
    "{P} finger got jammed at volleyball and now it's crooked and swollen",
    "fell off {P} bike {ago}, {P} forearm hurts a lot when {S} turn{s} it",
    "{S} fell skateboarding and {P} wrist looks a bit bent and is swelling",
], details=[
    "ice helps a little",
    "{S} can move {P} fingers",
    "{S} didn't hit {P} head",
], short=[
    "fell on wrist, swollen",
], comp=["{S} also fell on {P} wrist and it's swollen and sore to move"],
   dur=("hours", "days"), tags={"injury", "wrist"}, neg=("head_injury", "bleeding", "fever"),
   kid=(4, 17), n=32)

sc("strep_like_adult", "urgent", ENT, {"s": 5, "a": 1}, [
    "throat is really sore with a fever of {fever}, white spots on {P} tonsils and it hurts to swallow",
    "{S} can barely swallow, {P} glands are swollen and {Sh} got a temp of {fever}",
    "{P} roommate had strep and now {P} throat is killing {O} and {Sb} feverish",
    "bad sore throat {dur} with fever and swollen neck glands",
], details=[
    "{Sb} breathing fine",
    "{S} can still drink",
    "no cough",
], short=[
    "sore throat and fever {fever}",
], dur=("days",), tags={"throat", "fever"}, neg=("breathing", "rash", "stiff_neck"), n=32)

sc("ear_infection_adult", "urgent", ENT, {"s": 5, "a": 1}, [
    "really bad ear pain {dur} and now there's fluid draining out of it",
    "{P} ear is throbbing and muffled and yellow stuff came out on the pillow",
    "swimmer's ear maybe, {P} ear canal is swollen and super painful to touch",
    "ear pain so bad {S} couldn't sleep, it feels full and {S} can't hear out of it",
], details=[
    "{S} went swimming last week",
    "{S} had an ear infection as a kid a lot",
], short=[
    "bad ear pain and drainage",
], comp=["{P} ear is also really painful and draining"],
   dur=("days",), tags={"ear"}, neg=("fever", "head_injury"), n=30)

sc("pregnancy_vomiting", "urgent", OBGYN, {"s": 5, "a": 1}, [
    "{Sb} 10 weeks pregnant and throwing up everything, can't keep water down since yesterday",
    "pregnant with {P} first and vomiting like 8 times a day, peeing way less",
    "morning sickness is out of control, {Sb} 9 weeks and can't even keep the prenatal vitamin down",
], details=[
    "{S} tried ginger and crackers",
    "{Sb} losing weight",
], short=[
    "pregnant and can't keep anything down",
], dur=("days",), tags={"pregnancy", "vomiting"}, neg=("bleeding", "pain", "fever"),
   sex="f", ages=(18, 43), n=26)

sc("pregnancy_spotting", "urgent", OBGYN, {"s": 5, "a": 1}, [
    "{Sb} 8 weeks pregnant and noticed some light spotting today, no cramps",
    "brown spotting at 7 weeks, just a little when {S} wipe{s}, no pain",
    "{Sb} about 11 weeks and had a bit of pink discharge this morning, feel{s} fine otherwise",
], details=[
    "{S} {have} {P} first scan next week",
    "this is {P} first pregnancy",
], short=[
    "light spotting at 8 weeks",
], dur=(), tags={"pregnancy", "bleeding"}, neg=("faint", "fever"), sex="f", ages=(18, 43), n=24)

sc("palpitations_known_heart", "urgent", CARD, {"s": 5, "a": 1}, [
    "{S} {have} afib and {P} heart has been fluttering more than usual today, {Sb} taking {P} {heart_med}",
    "{P} heart monitor app keeps saying afib today, {S} feel{s} a bit off but ok",
    "{S} {have} heart failure and gained 4 pounds in 2 days and {P} ankles are more swollen",
    "{P} home bp cuff says 182/104 this morning, {Sb} on meds from {P} cardiologist and feel{s} fine otherwise",
    "{S} had a stent last year and {P} heart rate has been in the 40s all day on {P} {heart_med}",
], details=[
    "{P} cardiologist said to message if this happened",
    "{S} took {P} meds this morning",
    "resting rate is higher than usual",
], short=[
    "afib acting up today",
], comp=["{P} afib has been a bit more noticeable today"],
   dur=("hours", "days"), tags={"heart"}, neg=("chest_pain", "breathing", "faint"),
   ages=(40, 89), n=44)

sc("cellulitis", "urgent", DERM, {"s": 5, "a": 1, "c": 1}, [
    "red hot swollen patch on {P} leg that's getting bigger, {S} drew a line around it and it's past the line today",
    "a bug bite on {P} arm turned red and warm and the redness is spreading",
    "{P} shin is red, hot and tender and the redness doubled since yesterday",
    "the skin around {P} ingrown toenail is red, puffy and spreading up {P} foot",
], details=[
    "{S} {have} diabetes",
    "it's sore to touch",
], short=[
    "red swollen spreading skin on leg",
], dur=("days",), tags={"skin"}, neg=("fever",), kid=(4, 17), n=32)

sc("gout_flare", "urgent", ORTHO, {"s": 5, "a": 1}, [
    "{P} big toe is red, swollen and so painful {S} can't even put a sheet on it",
    "{P} gout is flaring, {P} ankle is hot and swollen and {S} can barely walk",
    "woke up with {P} knee hot and puffy and really painful, {S} had gout before",
], details=[
    "{S} had steak and beer last night",
    "{S} ran out of {P} colchicine",
], short=[
    "gout flare, toe swollen",
], dur=("hours", "days"), tags={"joint"}, neg=("fever", "injury"), ages=(30, 89), n=28)

sc("croup_child", "urgent", PED, {"c": 1}, [
    "{Sh} got a barking cough like a seal that started tonight",
    "{S} woke up with a croupy cough and a hoarse voice, sounds awful",
    "{P} cough sounds like a bark and {Sb} a bit hoarse, started {ago}",
], details=[
    "{Sb} breathing ok between coughs",
    "the cool night air helped a bit",
    "{S} {have} a low grade temp",
], short=[
    "barking cough started tonight",
], dur=("hours",), tags={"cough", "cold"}, neg=("rash", "vomiting"), kid=(1, 5), n=24)

sc("child_fever_days", "urgent", PED, {"c": 3, "i": 1}, [
    "{Sh} had a fever {dur} now, up to {fever}, tylenol brings it down but it keeps coming back",
    "{S} {have} a temp of {fever} and isn't eating much, still drinking",
    "fever of {fever} on and off {dur}, {Sb} tired but still plays when the medicine kicks in",
    "{Sb} running {fever} and has been really clingy and sleepy {dur}",
], details=[
    "{S} {have} a bit of a cough too",
    "{Sb} up to date on {P} shots",
    "{Sb} peeing normally",
], short=[
    "fever {fever} for 3 days",
], comp=["ci|{Sh} had a fever off and on as well"],
   dur=("days",), tags={"fever", "cold"}, neg=("rash", "breathing", "stiff_neck", "dehydration"),
   kid=(1, 12), inf=(0.35, 0.95), n=36)

sc("burn_blister", "urgent", DERM, {"s": 5, "a": 1, "c": 2}, [
    "grabbed a hot pan and now there's a big blister across {P} palm",
    "spilled boiling water on {P} thigh, it's blistered and really painful, about the size of {P} hand",
    "burned {P} forearm on the oven rack, the blister is bigger than a quarter and popped",
], details=[
    "ran it under cool water for 20 min",
    "it's really painful",
], short=[
    "burn with big blister on hand",
], dur=("hours",), tags={"burn", "skin"}, neg=("fever", "breathing"), kid=(2, 17), n=26)

sc("shingles", "urgent", DERM, {"s": 6, "a": 1}, [
    "painful blistery rash in a band on one side of {P} back, started {ago}",
    "{Sh} got a burning stripe of blisters on {P} right side, think it's shingles",
    "tingly burning skin for a couple days and now blisters in a line around {P} ribs",
], details=[
    "{S} never had the shingles shot",
    "it really burns",
], short=[
    "think {Sh} got shingles",
], dur=("days",), tags={"rash", "skin"}, neg=("fever",), ages=(50, 89), n=24)

sc("dog_bite", "urgent", PC, {"s": 4, "a": 1, "c": 2}, [
    "the neighbour's dog bit {P} hand and broke the skin, not bleeding much",
    "got bitten by a cat on {P} finger {ago} and now it's red and puffy",
    "a stray dog nipped {P} calf, two puncture marks, bleeding stopped",
], details=[
    "the dog is up to date on shots",
    "i washed it with soap",
], short=[
    "dog bite broke the skin",
], dur=("hours", "days"), tags={"bite", "cut"}, neg=("fever",), kid=(3, 17), n=24)

sc("epididymitis_like", "urgent", URO, {"s": 5, "a": 1}, [
    "{P} left testicle has been achy and a bit swollen {dur}, came on slowly",
    "dull ache and swelling in {P} scrotum that built up over a few days",
    "one of {P} balls is tender and heavy feeling, started gradually {ago}",
], details=[
    "{S} didn't injure it",
    "it hurts a bit to pee too",
], short=[
    "testicle achy and swollen few days",
], dur=("days",), tags={"testicle"}, neg=("vomiting", "fever"), sex="m", ages=(18, 70), n=30)

sc("child_uti_rash_urgent_other", "urgent", PED, {"c": 1}, [
    "{S} {have} a new rash and fever of {fever} and isn't {P} usual self",
    "{Sb} complaining that it stings to pee and needs to go all the time",
    "{S} {have} pink eye, goopy and red, daycare won't take {O} back till seen",
], details=[
    "{Sb} eating ok",
], short=[
    "{S} stings when peeing",
], dur=("hours", "days"), tags={"fever", "rash", "uti", "eye"}, neg=("breathing",), kid=(2, 10), n=22)

# ---- routine --------------------------------------------------------------------------------

sc("refill_general", "routine", PC, {"s": 10, "a": 2}, [
    "need a refill on {P} {gen_med}, {Sh} got 3 days left",
    "can the dr renew {P} {gen_med} prescription, it ran out of refills",
    "requesting a refill of {gen_med}, same dose as before",
    "out of refills for {P} {gen_med}, can you send a new script",
    "{P} {gen_med} prescription expired, can you renew it for 90 days",
    "{S} need{s} more {gen_med}, the pharmacy said they need a new order from the doctor",
    "s|can i get my {gen_med} refilled please, i take it every day",
], details=[
    "same pharmacy as always",
    "{Sh} been taking it for years",
    "please send to the pharmacy on file",
], short=[
    "refill {gen_med} pls",
    "need {gen_med} refilled",
    "{gen_med} refill please",
    "can i get a {gen_med} refill",
], comp=["also need a refill on {P} {gen_med}", "{S} also need{s} {P} {gen_med} renewed"],
   dur=(), tags={"admin", "refill"}, neg=(), tried=False, n=50)

sc("test_results", "routine", PC, {"s": 8, "a": 1}, [
    "got {P} labs back in the portal, what does a high a1c mean",
    "can someone explain {P} cholesterol results, the ldl was flagged",
    "{P} blood test says vitamin d low, {do} {S} need to take something",
    "still waiting on {P} blood work results from last week, any update",
    "{P} thyroid number came back high, is that bad",
    "saw {P} results in the app and a couple things were in red, can the dr go over them",
    "what does it mean that {P} white count was slightly low",
], details=[
    "the dr hasn't commented yet",
    "{S} {was} fasting for it",
], short=[
    "question about {P} lab results",
    "any update on {P} blood work",
], comp=["and can someone go over {P} last lab results"],
   dur=(), tags={"admin", "results"}, neg=(), tried=False, n=42)

sc("chronic_followup", "routine", PC, {"s": 8, "a": 2}, [
    "{P} sugars have been running 180 to 220 in the mornings {dur}, should {S} come in",
    "{Sb} due for {P} diabetes check, can {S} get an appt",
    "blood pressure has been kind of high at home, like 145/92, {Sb} on {gen_med}",
    "need to come in for {P} 3 month thyroid check",
    "{P} cholesterol med seems ok but {S} {have} not had a checkup in a year",
    "{P} copd is about the same, just due for a follow up",
], details=[
    "no new symptoms",
    "{Sh} been trying to walk more",
], short=[
    "due for diabetes follow up",
], dur=("weeks",), tags={"chronic"}, neg=(), tried=False, n=36)

sc("forms", "routine", PC, {"s": 8, "c": 3}, [
    "s|need a form filled out for work saying i can go back",
    "s|can i get a doctor's note for the two days i was off sick",
    "s|need my fmla paperwork done, can i drop it off",
    "s|the dmv needs a medical form signed by my dr",
    "s|my gym wants a note that i'm ok to exercise",
    "c|{S} needs a sports physical form signed for school",
    "c|school needs {P} immunization record, can you send it",
    "c|camp form needs a doctor's signature for {O}",
    "c|daycare wants a health form filled out for {O}",
], details=[
    "it's due next friday",
    "can you fax it or should i pick it up",
], short=[
    "s|need a work note",
    "c|need school form signed",
], comp=["s|also need a work note for the days i missed"],
   dur=(), tags={"admin"}, neg=(), tried=False, kid=(3, 17), n=34)

sc("referral", "routine", PC, {"s": 8, "a": 1}, [
    "need a referral to a dermatologist for {P} insurance",
    "can {S} get a referral to physical therapy for {P} shoulder",
    "{P} insurance says {S} need{s} a referral to see the eye doctor",
    "can i get a referral to a sleep clinic",
    "the cardiologist's office says they need a referral from you before they'll see {O}",
], details=[
    "new insurance this year",
    "same issue as last time",
], short=[
    "need a referral please",
], dur=(), tags={"admin"}, neg=(), tried=False, n=28)

SCHED = {
    PC: ["{P} primary doctor", "{P} regular dr", "{P} family doctor", "primary care"],
    CARD: ["the cardiologist", "the heart doctor", "cardiology", "the heart clinic"],
    DERM: ["the dermatologist", "the skin doctor", "derm", "the skin clinic"],
    ORTHO: ["ortho", "the bone doctor", "{P} knee surgeon", "the orthopedic clinic"],
    OBGYN: ["{P} obgyn", "the gyno", "{P} ob", "the women's clinic"],
    MH: ["{P} therapist", "the counselor", "{P} psychiatrist", "behavioral health"],
    GI: ["the gi doctor", "the stomach doctor", "gastro", "the liver clinic"],
    ENT: ["the ent", "the ear nose and throat doctor", "ent clinic", "the hearing clinic"],
    URO: ["the urologist", "urology", "the prostate clinic"],
    PHARM: [],
}
for _dest, _phr in SCHED.items():
    if not _phr:
        continue
    _who = {"s": 8, "a": 1}
    _sex = "m" if _dest == URO else ("f" if _dest == OBGYN else None)
    sc(f"schedule_{_dest}", "routine", _dest, _who, [
        "need to reschedule {P} appointment with {sched}",
        "can i move {P} appt with {sched} to next week",
        "i have to cancel {P} visit with {sched}, something came up",
        "how do i book a follow up with {sched}",
        "is there anything sooner with {sched}, the wait is months",
        "what time is {P} appointment with {sched} on thursday",
        "got a letter to schedule with {sched}, can i do that here",
    ], details=["mornings work best", "i work days so after 4 is better", "any day but monday"],
       short=["reschedule {sched} appt pls", "cancel {sched} appt"],
       dur=(), tags={"admin"}, neg=(), tried=False, sex=_sex, sched=_phr,
       n={PC: 16, CARD: 20, GI: 22}.get(_dest, 14))

sc("mole_change", "routine", DERM, {"s": 6, "a": 1}, [
    "a mole on {P} back looks darker and bigger than last year",
    "{Sh} got a spot on {P} nose that keeps scabbing and won't heal",
    "new dark spot on {P} foot, not sure if it's a mole",
    "one of {P} moles has gotten an uneven edge {dur}",
    "a little pearly bump on {P} cheek that bleeds when {S} shave{s}",
], details=[
    "{S} had a lot of sunburns as a kid",
    "{P} mom had skin cancer",
], short=[
    "mole getting bigger",
], comp=["also want a mole on {P} arm checked sometime"],
   dur=("weeks",), tags={"skin"}, neg=("fever",), n=30)

sc("skin_chronic", "routine", DERM, {"s": 7, "a": 1}, [
    "{P} acne is getting worse even with the stuff from the store",
    "losing a lot of hair {dur}, clumps in the shower",
    "{P} toenail is thick and yellow, fungus maybe",
    "eczema on {P} hands won't clear up with the cream",
    "itchy scaly patches on {P} elbows {dur}",
    "new itchy rash on {P} arms {dur}, no fever, feel fine otherwise",
    "{P} face gets red and bumpy, thinking rosacea",
    "warts on {P} fingers keep coming back",
], details=[
    "tried hydrocortisone",
    "it's embarrassing at work",
], short=[
    "acne getting worse",
    "rash on arm, itchy",
    "hair falling out",
], comp=["also {P} eczema is flaring a bit"],
   dur=("weeks",), tags={"skin", "rash"}, neg=("fever",), excl={"fever"}, n=40)

sc("joint_chronic", "routine", ORTHO, {"s": 7, "a": 1}, [
    "{P} knee has been aching {dur}, worse on stairs",
    "lower back pain on and off {dur}, no injury",
    "{P} shoulder hurts when {S} reach{es} overhead {dur}",
    "{P} hip clicks and aches after walking",
    "{P} heel hurts with the first steps in the morning {dur}",
    "{P} hands are stiff in the mornings and the knuckles ache",
], details=[
    "ibuprofen takes the edge off",
    "it's starting to affect {P} sleep",
    "{S} used to play soccer",
], short=[
    "knee pain for weeks",
    "back pain ongoing",
], comp=["{P} knee has been bugging {O} for a while too"],
   dur=("weeks",), tags={"joint", "pain"}, neg=("injury", "fever"), n=38)

sc("gyn_routine", "routine", OBGYN, {"s": 1}, [
    "{P} periods have been really irregular {dur}",
    "periods are heavier than usual lately, no dizziness or anything",
    "need to renew {P} birth control pills",
    "want to talk about getting an iud",
    "{Sb} due for a pap smear",
    "some itching and thick white discharge, feels like a yeast infection",
    "painful sex lately, would like to get checked",
], details=[
    "{Sn} pregnant",
    "{P} last pap was normal",
], short=[
    "need birth control refill",
    "due for pap",
], comp=["also need to renew {P} birth control"],
   dur=("weeks",), tags={"gyn"}, neg=("fever",), sex="f", ages=(18, 60), n=36)

sc("menopause", "routine", OBGYN, {"s": 1}, [
    "hot flashes and night sweats {dur}, think it's menopause",
    "{P} periods stopped {dur} and {Sb} having hot flashes, can we talk about options",
    "menopause symptoms are wrecking {P} sleep, interested in hormone therapy",
    "dryness down there since {P} periods stopped, is there something {S} can use",
], details=["{Sh} been reading about it", "{P} mom had early menopause"], short=["menopause symptoms, want to discuss"],
   dur=("weeks",), tags={"gyn"}, neg=("fever", "bleeding"), sex="f", ages=(45, 60), tried=False, n=20)

sc("prenatal_routine", "routine", OBGYN, {"s": 1}, [
    "just found out {Sb} pregnant, how {do} {S} set up {P} first appt",
    "{Sb} 24 weeks, when is the glucose test",
    "{Sb} 20 weeks pregnant, can {S} schedule the anatomy scan",
    "{Sb} 16 weeks and wondering if {S} need{s} any more blood work",
], details=[
    "this is {P} first",
    "feeling fine",
], short=[
    "positive pregnancy test, need appt",
], dur=(), tags={"pregnancy"}, neg=("bleeding", "pain"), sex="f", ages=(18, 43), tried=False, n=24)

sc("mood_routine", "routine", MH, {"s": 7, "a": 1}, [
    "been feeling down {dur}, not enjoying stuff, would like to talk to someone",
    "{P} anxiety is getting in the way at work, want to try therapy",
    "{S} can't sleep because of stress {dur}",
    "{Sb} drinking more than {S} should and want{s} help cutting back",
    "think {S} might have adhd, can {S} get evaluated",
    "want to check in about {P} antidepressant, it's helping a bit but not enough",
    "grief counseling, {P} dad died in the spring and {Sb} still struggling",
], details=[
    "{Sn} in any danger, just want help",
    "{Sh} seen a counselor before",
], short=[
    "want to see a therapist",
    "feeling down lately",
], comp=["honestly {Sb} also feeling down lately and not sleeping great"],
   dur=("weeks",), tags={"mood", "anxiety"}, neg=(), tried=False, n=44)

sc("gi_routine", "routine", GI, {"s": 7, "a": 1}, [
    "heartburn almost every night {dur}, tums stopped working",
    "{P} ibs flares are getting worse",
    "saw some bright red blood on the toilet paper a few times this week, not a lot",
    "the ultrasound said fatty liver, what does that mean",
    "bloating and going back and forth between constipation and diarrhea {dur}",
    "{Sb} due for {P} colonoscopy",
    "constipated {dur} even with fiber",
    "{S} get{s} a burning pain in {P} upper stomach after meals {dur}",
], details=[
    "{S} take{s} omeprazole sometimes",
    "no weight loss",
], short=[
    "reflux every night",
    "due for colonoscopy",
], comp=["{P} stomach has been bloated and off for weeks as well"],
   dur=("weeks",), tags={"gi"}, neg=("fever", "vomiting"), n=44)

sc("gi_liver_questions", "routine", GI, {"s": 7, "a": 1}, [
    "{P} liver enzymes came back high again, {do} {S} need to see the liver doctor",
    "{S} {have} hepatitis c from years ago, is there treatment now",
    "told {S} {have} gallstones on the scan, no pain right now, what's next",
    "celiac runs in {P} family and {P} stomach hurts after bread, can {S} get tested",
    "{S} {have} crohn's and {Sb} due for {P} infusion follow up",
    "{P} stools have been pale and greasy {dur}",
    "trouble swallowing, food feels like it sticks in {P} chest sometimes {dur}",
], details=[
    "{S} {dont} drink much",
    "{Sb} otherwise ok",
], short=[
    "liver enzymes high, next steps?",
], dur=("weeks",), tags={"gi"}, neg=("fever", "vomiting"), tried=False, n=36)

sc("ibd_flare", "urgent", GI, {"s": 6, "a": 1}, [
    "{P} crohn's is flaring, way more diarrhea and cramping {dur}, some streaks of blood",
    "{P} colitis is acting up, going 6 or 7 times a day with a little blood, still eating",
    "{S} {have} ulcerative colitis and the cramps and urgency are back {dur}, the usual meds aren't touching it",
], details=[
    "{Sb} keeping fluids down",
    "not a lot of blood, just streaks",
    "{P} gi doctor said to message if it flared",
], short=[
    "crohns flare, more diarrhea",
], dur=("days",), tags={"gi", "bleeding"}, neg=("fever", "faint", "vomiting"), n=30)

sc("ent_routine", "routine", ENT, {"s": 7, "a": 1}, [
    "{P} hearing is getting worse {dur}, {S} {have} to turn the tv way up",
    "ringing in {P} ears {dur}",
    "{P} voice has been hoarse {dur}",
    "sinuses always blocked, had 4 sinus infections this year",
    "snoring so loud, {P} partner says {S} stop{s} breathing at night sometimes",
    "{S} keep{s} getting nosebleeds a couple times a week, they stop quickly",
    "a lump in {P} neck that hasn't gone away {dur}, not painful",
], details=[
    "{S} work{s} around loud machines",
    "no pain",
], short=[
    "ringing ears",
    "hoarse voice weeks",
], comp=["{P} hearing seems worse lately too"],
   dur=("weeks",), tags={"ent"}, neg=("fever",), n=36)

sc("uro_routine", "routine", URO, {"s": 7, "a": 2}, [
    "getting up 3 or 4 times a night to pee {dur}",
    "weak stream and dribbling {dur}",
    "having erection problems, want to discuss options",
    "{P} psa came back a bit high, what now",
    "noticed pink pee twice, no pain",
    "want to talk about a vasectomy",
    "leaking a bit of urine since {P} prostate surgery",
], details=[
    "no burning",
    "{S} {have} an enlarged prostate",
], short=[
    "peeing a lot at night",
    "vasectomy consult",
], comp=["also up a lot at night to pee"],
   dur=("weeks",), tags={"uro"}, neg=("fever",), sex="m", sexcue=True, ages=(30, 89), n=44)

sc("cardiology_routine", "routine", CARD, {"s": 7, "a": 2}, [
    "{S} {have} afib, is it ok to start running again",
    "{P} cardiologist wants an echo, how {do} {S} schedule it",
    "since starting {heart_med} {Sh} noticed {P} ankles swell a bit by evening",
    "occasional skipped beats since {P} ablation last year, nothing new",
    "{P} pacemaker check is due, how do we set that up",
    "{P} heart doctor said {S} might need a stress test, is that ordered yet",
    "{S} {have} heart failure, weight stable, want to ask about lowering {P} water pill",
], details=[
    "feeling fine otherwise",
    "{Sb} on {heart_med}",
], short=[
    "pacemaker check due",
], comp=["also when is {P} next heart checkup"],
   dur=(), tags={"heart"}, neg=("chest_pain", "breathing"), ages=(40, 89), tried=False, n=42)

sc("mild_persistent", "routine", PC, {"s": 7, "a": 1}, [
    "tired all the time {dur} even with enough sleep",
    "cough that hangs on {dur} after a cold, otherwise ok",
    "mild headaches most days {dur}",
    "dizzy for a second when {S} stand{s} up sometimes, {dur}",
    "night sweats now and then {dur}",
    "{Sh} been more thirsty and peeing more {dur}",
], details=[
    "{Sb} otherwise healthy",
    "not sure if it's stress",
], short=[
    "tired all the time",
], comp=["{Sh} been more tired than usual for weeks"],
   dur=("weeks",), tags={"mild"}, neg=("fever", "chest_pain", "breathing"), n=34)

sc("pharmacy_logistics", "routine", PHARM, {"s": 8, "a": 1}, [
    "the pharmacy says they never got {P} {gen_med} prescription",
    "can {S} switch {P} prescriptions to a different pharmacy",
    "the mail order is late and {Sb} almost out of {gen_med}",
    "insurance won't cover {gen_med} anymore, is there a cheaper one",
    "when will {P} refill be ready for pickup",
    "pharmacy gave {O} a different looking pill for {gen_med}, is it the same thing",
    "can i get a 90 day supply instead of 30",
], details=[
    "{S} called them twice already",
    "i only have a few pills left",
], short=[
    "pharmacy didn't get {P} script",
    "transfer prescriptions to new pharmacy",
], comp=["btw the pharmacy also says they never got {P} {gen_med} order"],
   dur=(), tags={"admin", "refill"}, neg=(), tried=False, n=50)

sc("pharmacy_side_effect_q", "routine", PHARM, {"s": 8, "a": 1}, [
    "is it normal that metformin upsets {P} stomach a bit",
    "does {gen_med} cause dry mouth",
    "{P} {gen_med} makes {O} a little sleepy, is that a known side effect",
    "is it ok that {P} pee is bright yellow from the vitamins",
    "the antibiotic leaves a metallic taste, is that normal",
], details=[
    "it's not bad, just wondering",
    "{S} started it a month ago",
], short=[
    "is dry mouth from {gen_med} normal",
], dur=(), tags={"side_effect"}, neg=(), tried=False, n=40)

sc("physical_vaccines", "routine", PC, {"s": 7, "a": 1}, [
    "would like to book {P} yearly physical",
    "need a flu shot, {do} {S} need an appt",
    "can {S} get the shingles vaccine at the clinic",
    "haven't had a checkup in years, want to get everything looked at",
    "{P} dad had a stroke years ago, want to talk about {P} own risk",
    "worried about heart attack risk bc of family history, can {S} get {P} cholesterol checked",
], details=[
    "no specific problems",
    "new to the area",
], short=[
    "book annual physical",
    "need flu shot",
], dur=(), tags={"admin"}, neg=("chest_pain",), tried=False, n=32)

sc("child_routine", "routine", PED, {"c": 3, "i": 1}, [
    "{S} needs {P} 2 year checkup scheduled",
    "{P} speech seems behind other kids, should we get {O} checked",
    "{S} still wets the bed, is that normal at this age",
    "{Sb} a super picky eater and {S} {havent} gained weight since last visit",
    "i|when is {P} next round of shots",
    "{P} teacher thinks {S} might have adhd, how do we get an evaluation",
    "{S} {have} eczema that keeps coming back on {P} arms",
    "refill {P} asthma controller please",
], details=[
    "no rush",
    "{Sb} otherwise happy and healthy",
], short=[
    "need well child visit",
    "refill {P} inhaler",
], comp=["also need to book {P} checkup"],
   dur=(), tags={"admin"}, neg=("fever",), kid=(2, 12), inf=(0.35, 0.95), tried=False, n=40)

# ---- self care ------------------------------------------------------------------------------

sc("common_cold", "self_care", PC, {"s": 6, "a": 1, "c": 4, "t": 1}, [
    "stuffy nose and sneezing {dur}, just a cold i think",
    "runny nose, scratchy throat and a little cough {dur}",
    "got the sniffles, what can {S} take",
    "worst cold of {P} life lol, stuffy and sneezy but otherwise fine",
    "{S} feel{s} like death warmed over, head cold and aches",
    "just a cold, congested and blowing {P} nose all day",
    "ci|{Sh} got a runny nose and a little cough, still playing and eating fine",
], details=[
    "{Sb} still eating and drinking",
    "the whole office has it",
    "{Sh} been drinking tea with honey",
], short=[
    "cold symptoms {dur}",
    "stuffy nose and sneezing",
], comp=["{Sh} got a bit of a runny nose too", "also a little cough", "plus kind of congested"],
   dur=("days",), tags={"cold", "cough"}, neg=("fever", "breathing", "chest_pain"), excl={"fever"},
   kid=(1, 17), n=40)

sc("chest_tight_cough", "self_care", PC, {"s": 5, "a": 1, "c": 2}, [
    "{P} chest feels tight from coughing so much, no pain, breathing fine",
    "chest is sore from all the coughing {dur}, no trouble breathing",
    "{P} ribs ache from coughing with this cold, breathing is ok",
    "tight feeling in {P} chest only when {S} cough{s}, otherwise fine",
], details=[
    "{S} {dont} have a fever",
    "cough drops help a bit",
], short=[
    "chest sore from coughing",
], dur=("days",), tags={"cough", "cold"}, neg=("fever", "chest_pain"), excl={"fever"}, kid=(4, 17), n=30)

sc("mild_sore_throat", "self_care", ENT, {"s": 6, "a": 1, "t": 1}, [
    "sore throat since this morning, no fever, eating fine",
    "scratchy throat {dur}, probably from yelling at the game",
    "this sore throat is killing {O} but no fever and {S} can swallow fine",
    "throat a little raw today, no other symptoms",
], details=[
    "tried salt water gargles",
    "{Sb} drinking plenty",
], short=[
    "mild sore throat today",
], comp=["{P} throat is a little scratchy too"],
   dur=("hours",), tags={"throat"}, neg=("fever", "breathing"), excl={"fever"}, kid=(13, 17), n=32)

sc("small_bruise", "self_care", ORTHO, {"s": 6, "a": 1, "c": 2}, [
    "bumped {P} shin on the coffee table, it's bruised but {S} can walk fine",
    "small bruise on {P} arm from the car door, tender but fine",
    "{Sh} got a bruise on {P} thigh from a soccer ball, just sore",
    "banged {P} elbow on the doorframe, little bump and bruise",
], details=[
    "{S} can move it fine",
    "icing it",
], short=[
    "small bruise on leg",
], comp=["{S} also bumped {P} leg and it's bruised"],
   dur=("hours", "days"), tags={"injury"}, neg=("bleeding", "head_injury"), kid=(3, 17), n=30)

sc("mild_sunburn", "self_care", DERM, {"s": 6, "a": 1, "c": 2}, [
    "got a bit of sunburn at the beach, red and sore but no blisters",
    "{P} shoulders are pink from the sun yesterday",
    "mild sunburn on {P} face and arms, what helps",
], details=[
    "using aloe",
    "forgot sunscreen",
], short=[
    "mild sunburn",
], comp=["{Sb} also a bit sunburned"],
   dur=("hours", "days"), tags={"burn", "skin"}, neg=("fever",), excl={"fever"}, kid=(2, 17), n=28)

sc("occasional_heartburn", "self_care", GI, {"s": 6, "a": 1}, [
    "heartburn after pizza last night, doesn't happen often",
    "occasional heartburn when {S} eat{s} late, can {S} take tums",
    "burning in {P} throat after spicy food sometimes",
    "a bit gassy and bloated after beans last night, otherwise fine",
    "little bit of indigestion after a big holiday meal, any tips",
], details=[
    "goes away on its own",
    "{S} {dont} get it often",
], short=[
    "heartburn after dinner",
    "gassy and bloated",
], comp=["and some heartburn after dinner"],
   dur=("hours",), tags={"gi"}, neg=("chest_pain", "vomiting"), n=40)

sc("otc_question", "self_care", PHARM, {"s": 8, "a": 1}, [
    "should {S} take ibuprofen with food",
    "can {S} take tylenol and advil together",
    "is it ok to take {allergy_med} with {P} {gen_med}",
    "forgot {P} {gen_med} this morning, should {S} take it now or skip",
    "how long after the antibiotic can {S} have a beer",
    "can {S} take {otc} on an empty stomach",
    "what's the max tylenol in a day",
    "accidentally took {P} allergy pill twice today, feel{s} fine, anything to worry about",
    "can {S} cut {P} {gen_med} pills in half",
    "does insulin need to stay in the fridge when traveling",
], details=[
    "just want to be safe",
], short=[
    "ibuprofen with food?",
    "tylenol and advil together ok?",
], comp=["also can {S} take {otc} with {P} other meds"],
   dur=(), tags={"admin"}, neg=(), tried=False, n=54)

sc("seasonal_allergies", "self_care", ENT, {"s": 6, "a": 1, "t": 1}, [
    "itchy eyes and sneezing every spring, can {S} just take {allergy_med}",
    "seasonal allergies kicking in, runny nose and itchy eyes",
    "can't breathe through {P} nose at night bc of allergies",
    "hay fever is bad this week",
], details=[
    "same as every year",
], short=[
    "allergies acting up",
], comp=["{P} allergies are acting up too"],
   dur=("days", "weeks"), tags={"allergy"}, neg=("fever", "breathing"), excl={"fever"}, kid=(13, 17), n=30)

sc("mild_diarrhea", "self_care", PC, {"s": 6, "a": 1}, [
    "had some diarrhea today after takeout, feel{s} ok otherwise",
    "loose stools since last night, no blood, drinking fine",
    "upset stomach and a couple loose stools, probably something {S} ate",
], details=[
    "eating bland stuff",
], short=[
    "mild diarrhea today",
], comp=["also a bit of an upset stomach"],
   dur=("hours",), tags={"gi"}, neg=("fever", "bleeding", "vomiting"), excl={"fever"}, n=28)

sc("tension_headache", "self_care", PC, {"s": 6, "a": 1}, [
    "mild headache after a long day at the computer, went away with tylenol",
    "{P} head is killing {O} after the work deadline, tension i think, better with rest",
    "dull headache from not sleeping enough, not bad",
], details=[
    "{S} get{s} these sometimes",
], short=[
    "mild headache",
], comp=["{S} also {have} a bit of a headache"],
   dur=("hours",), tags={"headache"}, neg=("fever", "head_injury", "neuro"), n=28)

sc("bug_bites", "self_care", DERM, {"s": 6, "a": 1, "c": 2}, [
    "mosquito bites are super itchy, anything to help",
    "got a few bites on {P} legs camping, just itchy",
    "some itchy bumps from bugs on {P} ankles",
], details=[
    "not spreading",
], short=[
    "itchy bug bites",
], comp=["and some itchy bug bites"],
   dur=("days",), tags={"skin", "bite"}, neg=("fever", "throat_swelling", "breathing"), kid=(2, 17), n=28)

sc("muscle_soreness", "self_care", ORTHO, {"s": 6, "a": 1, "t": 1}, [
    "legs are super sore 2 days after leg day",
    "{P} arm feels weak and sore after lifting yesterday, just tired muscles",
    "threw {P} back out lifting a box, sore but no numbness and peeing fine",
    "pulled something in {P} neck sleeping funny",
], details=[
    "stretching helps",
], short=[
    "sore muscles after gym",
], comp=["{P} back is also a little sore"],
   dur=("days",), tags={"pain", "joint"}, neg=("injury", "fever"), kid=(13, 17), n=30)

sc("kid_minor", "self_care", PED, {"c": 3, "i": 2}, [
    "i|{Sb} teething and drooling a lot, a bit fussy",
    "i|{Sh} got a little diaper rash, red but not broken",
    "{S} bumped {P} head on the table, cried right away and is acting normal now",
    "c|{Sh} got a small scrape on {P} knee from the playground",
    "c|{S} {have} a splinter in {P} finger",
    "i|{P} poop is kind of green, {Sb} eating fine",
    "c|{Sh} got a mild cold, runny nose, still playing",
], details=[
    "{Sb} eating and sleeping ok",
    "{Sb} happy otherwise",
], short=[
    "{Sb} teething and fussy",
], comp=["ci|{Sb} also teething a bit"],
   dur=("hours", "days"), tags={"minor"}, neg=("fever", "vomiting"), excl={"fever"},
   kid=(1, 8), inf=(0.35, 0.95), n=40)

sc("newborn_no_fever", "self_care", PED, {"i": 1}, [
    "{Sb} sneezing a lot and sounds stuffy, temp is {normtemp}, feeding fine",
    "{S} {have} little white bumps on {P} nose, no fever",
    "{S} hiccups a lot after feeds, is that normal",
    "{Sb} a bit congested at night, checked temp {normtemp}, eating and peeing normal",
    "{P} skin is peeling a bit on {P} feet, otherwise fine",
], details=[
    "{S} {was} born full term",
    "we use a humidifier",
], short=[
    "{Sb} stuffy, no fever",
], dur=("days",), tags={"minor"}, neg=("fever", "breathing", "vomiting"), excl={"fever"},
   inf=(0.02, 0.23), tried=False, n=24)

sc("stress_one_night", "self_care", MH, {"s": 6, "t": 1}, [
    "couldn't sleep last night worrying about a presentation, any tips",
    "feeling a bit stressed with exams, just want some tips to relax",
    "{Sb} a bit anxious about flying next week, any tips",
], details=[
    "{Sb} fine otherwise",
], short=[
    "tips for stress sleep",
], comp=["also haven't been sleeping well from stress"],
   dur=(), tags={"mood", "anxiety"}, neg=(), kid=(13, 17), tried=False, n=30)

sc("period_cramps", "self_care", OBGYN, {"s": 6, "t": 1}, [
    "usual period cramps, can {S} take ibuprofen for it",
    "cramps are bad this month but normal for {O}",
    "{P} period came early this month, is that ok",
], details=[
    "heat pad helps",
], short=[
    "period cramps",
], comp=["and {P} period cramps are bugging {O}"],
   dur=("hours", "days"), tags={"gyn"}, neg=("fever",), sex="f", ages=(18, 50), kid=(13, 17), n=28)

sc("ear_plugged", "self_care", ENT, {"s": 6, "a": 1}, [
    "{P} ear feels a bit plugged after swimming, no pain",
    "{P} ears pop and feel full after the flight",
    "{S} think{s} {S} {have} wax in {P} ear, muffled but not painful",
], details=[
    "tried yawning",
], short=[
    "ear plugged, no pain",
], comp=["{P} ear also feels a little plugged"],
   dur=("days",), tags={"ear"}, neg=("fever",), n=28)

sc("cardiology_self_care", "self_care", CARD, {"s": 7, "a": 1}, [
    "{S} {have} afib, can {S} still have coffee",
    "is it normal {P} bp cuff reads higher in {P} left arm, {Sb} on {heart_med}",
    "{S} {have} a pacemaker, is it ok to use an electric toothbrush",
    "{S} {have} a heart condition, is a hot tub ok",
    "{Sb} on {heart_med} for {P} heart, can {S} have a glass of wine",
], details=[
    "just curious",
], short=[
    "coffee ok with afib?",
], dur=(), tags={"heart"}, neg=("chest_pain",), ages=(40, 89), tried=False, n=36)

sc("nosebleed_stopped", "self_care", ENT, {"s": 5, "a": 1, "c": 2}, [
    "had a nosebleed, pinched it for 10 minutes and it stopped",
    "nose bled a bit this morning from the dry air, stopped quickly",
    "little nosebleed after blowing {P} nose, it's done now",
], details=[
    "{Sb} fine now",
], short=[
    "nosebleed, stopped now",
], dur=(), tags={"nosebleed"}, neg=("faint", "head_injury"), kid=(3, 17), n=26)

sc("harmless_alarming", "self_care", PC, {"s": 7, "a": 1}, [
    "{P} heart was racing after 2 energy drinks, it calmed down now",
    "half {P} face feels numb and droopy after the dentist injection, it's wearing off slowly",
    "{P} lip is still numb 3 hours after the dentist, {S} can talk fine",
    "{S} nearly fainted getting blood drawn, fine after lying down",
    "{P} hands went pale and tingly in the cold, back to normal now",
], details=[
    "feel{s} normal now",
], short=[
    "lip numb after dentist",
], dur=(), tags={"mild"}, neg=("chest_pain", "breathing"), n=28)

# --------------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------------

DUR = {  # (for-form, ago-form) pairs; one pair per message so mentions agree
    "now": [("for about 20 minutes", "about 20 min ago"), ("for the last half hour", "half an hour ago"),
            ("for about an hour", "an hour ago"), ("for like 15 min now", "like 15 mins ago"),
            ("for the last 10 minutes or so", "a few minutes ago"), ("since dinner", "right after dinner"),
            ("for 40 minutes", "about 40 min ago")],
    "hours": [("since last night", "last night"), ("since this morning", "this morning"),
              ("for a few hours", "a few hours ago"), ("since lunch", "after lunch"),
              ("all day", "this morning"), ("since about 3am", "around 3am"), ("overnight", "last night")],
    "days": [("for 2 days", "2 days ago"), ("for a couple days", "a couple days ago"),
             ("since tuesday", "on tuesday"), ("since the weekend", "over the weekend"),
             ("for 3 days now", "3 days ago"), ("since friday", "on friday"),
             ("for about 4 days", "about 4 days ago"), ("the past few days", "a few days ago"),
             ("since yesterday", "yesterday")],
    "weeks": [("for about 3 weeks", "about 3 weeks ago"), ("for a month", "about a month ago"),
              ("on and off for months", "months ago"), ("for 6 weeks", "6 weeks ago"),
              ("since the summer", "back in the summer"), ("for like 2 months", "a couple months ago"),
              ("the past few weeks", "a few weeks ago"), ("for over a month", "over a month ago"),
              ("since the spring", "back in the spring")],
}
DUR_CLAUSE = ["it started {ago}", "it's been going on {dur}", "been like this {dur}",
              "this started {ago}", "going on {dur}"]

GEN_MEDS = ["lisinopril", "metformin", "atorvastatin", "levothyroxine", "amlodipine", "omeprazole",
            "losartan", "simvastatin", "hydrochlorothiazide", "montelukast", "gabapentin",
            "pantoprazole", "rosuvastatin", "allopurinol", "meloxicam"]
HEART_MEDS = ["metoprolol", "eliquis", "xarelto", "entresto", "amiodarone", "diltiazem",
              "furosemide", "carvedilol"]
ALLERGY_MEDS = ["zyrtec", "claritin", "allegra", "benadryl", "flonase"]
OTC = ["tylenol", "advil", "ibuprofen", "aleve", "excedrin"]

NEG = {
    "chest_pain": ["no chest pain", "{S} {dont} have any chest pain", "not having chest pain or anything like that",
                   "{P} chest doesn't hurt", "no pain in {P} chest"],
    "breathing": ["not having trouble breathing", "breathing is fine", "{Sb} breathing ok",
                  "no shortness of breath", "{Sn} short of breath", "not struggling to breathe"],
    "fever": ["no fever", "{S} {dont} have a fever", "temp is normal", "checked {P} temp and it's {normtemp}",
              "{S} {havent} had a fever", "no temp"],
    "bleeding": ["no bleeding", "not bleeding", "{Sn} bleeding"],
    "vomiting": ["no vomiting", "{Sn} throwing up", "{S} {havent} thrown up"],
    "head_injury": ["{S} didn't hit {P} head", "no head injury", "didn't bump {P} head"],
    "faint": ["{S} didn't pass out", "never lost consciousness", "{Sn} dizzy", "no fainting"],
    "neuro": ["no numbness or weakness", "{Sb} talking normally", "no trouble talking or moving {P} arms",
              "{P} face looks normal"],
    "rash": ["no rash", "no rash or anything"],
    "throat_swelling": ["no swelling in {P} lips or throat", "{Sb} swallowing fine"],
    "dehydration": ["{Sb} still peeing fine", "still drinking ok", "ci|wet diapers are normal"],
    "stiff_neck": ["{P} neck isn't stiff", "no stiff neck"],
    "injury": ["didn't fall or hurt it", "no injury that {S} can think of"],
    "uti": ["no burning when {S} pee{s}"],
    "pain": ["no pain", "not in any pain"],
}

WHEN = re.compile(r"\{dur\}|\{ago\}|\b(since|ago|yesterday|tonight|today|last night|this morning|"
                  r"days|weeks|hours|minutes|min|last week|last year)\b")
NEG_WORDS = {  # a core that mentions these words already speaks to the red flag
    "chest_pain": ("chest",), "breathing": ("breath",), "fever": ("fever", "temp"),
    "bleeding": ("bleed", "blood"), "vomiting": ("throw", "vomit"), "head_injury": ("head",),
    "faint": ("faint", "pass"), "rash": ("rash",), "pain": ("pain",), "injury": ("injur", "fell"),
}

OPENERS = ["hi", "hello", "hey", "hi there", "good morning", "good evening", "hi nurse",
           "hello doctor", "quick question", "question", "sorry to bother you", "not sure who to ask",
           "urgent", "help", "pls help", "ok so", "so", "um", "hi team", "hey there", "hello?",
           "sorry for messaging late", "nurse line question", "hi, me again"]
INTROS = ["it's about {NP}", "writing for {NP}", "asking for {NP}", "this is about {NP}", "question about {NP}", "my message is for {NP}", "re {NP}", "for {NP}", "messaging about {NP}"]
INTROS_NP_ONLY = ["it's about {NP}", "asking for {NP}", "question about {NP}", "messaging about {NP}",
                  "this is about {NP}"]

HISTORY = [
    "sa|{Sh} got high blood pressure", "sa|{S} {have} type 2 diabetes", "sa|{Sb} otherwise healthy",
    "sa|{S} {have} asthma", "sta|{Sb} allergic to penicillin", "sa|{S} had {P} gallbladder out a few years ago",
    "sa|{Sb} on {gen_med} for years", "sa|{S} {have} hypothyroid", "sa|no major health problems",
    "sa|{S} smoke{s} half a pack a day", "sa|{S} {have} high cholesterol", "sa|{S} had covid last year",
    "c|{Sb} up to date on {P} shots", "c|{S} {have} eczema", "c|{S} {was} born a bit early but is healthy",
    "c|{S} {have} no medical problems", "c|{S} goes to daycare", "ci|{S} {have} no allergies",
    "i|{S} {was} born full term", "i|{Sb} formula fed", "i|{Sb} breastfed", "t|i have asthma",
    "t|i don't have any health problems", "st|no allergies", "a|{S} {have} dementia",
    "a|{S} lives with us", "a|{Sb} on a bunch of meds",
]
CONTEXT = [
    "sorry typing on my phone", "not sure if this is the right place to ask", "sa|i work nights so it's hard to get in",
    "i'm new to this clinic", "sorry for the long message", "i tried calling but the line was busy",
    "sa|i'm at work right now", "sa|my insurance changed last month", "we just moved here",
    "a|i'm {P} caregiver", "a|{S} doesn't use the portal",
    "ci|{P} dad is at work so it's just me", "ci|we're home now", "sa|i don't have a car right now",
    "sorry if i'm rambling", "the after hours line said to send a message",
]
STORY = [
    "so this all started when we got back from a trip", "we were at a birthday party yesterday",
    "i was going to wait until monday but decided to ask", "sa|my coworker said to message you",
    "sa|i didn't want to go to the er bc of the cost", "i tried calling the after hours line but it kept ringing",
    "i know you guys are busy", "anyway", "i've been meaning to message for a while",
    "sa|we don't have a regular doctor yet", "sa|i'm typing this on my break",
    "i looked it up online and got more confused", "last time this happened i waited too long",
    "it's been a crazy week", "saci|the kids are home sick too so it's chaos here",
    "sa|my insurance changed so idk who i'm supposed to see", "i read a bunch of forums about it",
    "t|my mom said i should message", "t|i don't want to tell my parents yet",
    "my sister is a nurse and she said to ask you", "we had a long weekend with family",
]
TRIED = [
    "sta|took some {otc}", "sa|took 2 {otc}", "sta|tried resting", "sta|drank lots of water",
    "sta|used a heating pad", "sta|tried some over the counter stuff", "ci|gave {O} some children's tylenol",
    "ci|gave {O} motrin", "c|{Sh} been resting on the couch", "nothing helps much",
    "stac|tried ice", "sa|tried an old prescription i had",
]
WORRY = [
    "probably nothing but wanted to check", "i'm kind of freaking out", "i don't want to overreact",
    "google is scaring me", "my sister told me to message", "sorry if this is dumb",
    "i hate bothering you guys", "i'm a worrier lol", "it's probably fine", "not sure if it's a big deal",
    "i don't want to waste anyone's time", "i'm really worried", "it's stressing me out",
]
CLOSINGS = [
    "what should i do", "{do} {S} need to be seen", "ac|should i bring {O} in", "i|should i bring {O} in",
    "st|should i come in", "can i get an appt", "can someone call me back", "is this normal",
    "is this something to worry about", "do i need to go to the er", "er or urgent care",
    "should we go to urgent care or wait", "can it wait till monday", "any advice", "pls advise",
    "what do you recommend", "can you help", "idk what to do", "is this serious", "should i be worried",
    "can the nurse call me", "please let me know", "can i just wait it out", "need help",
    "what do we do", "do you have anything today", "can someone look at this",
]
ADMIN_CLOSINGS = [
    "thanks", "let me know when it's done", "can you send it over", "please let me know",
    "can someone get back to me", "no rush", "whenever you get a chance",
    "is that possible", "can you help", "let me know what you need from me", "thank you so much",
]
SIGNOFFS = ["thanks", "thx", "thank you", "ty", "thanks in advance", "thank u", "thanks so much"]
COMP_LEAD = ["also ", "plus ", "and ", "oh and ", "on top of that ", "btw ", "", "and also "]

ABBREV = [
    (r"\bplease\b", "pls"), (r"\bthanks\b", "thx"), (r"\bbecause\b", "bc"), (r"\bwith\b", "w/"),
    (r"\bi don't know\b", "idk"), (r"\bright now\b", "rn"), (r"\btomorrow\b", "tmrw"),
    (r"\bappointment\b", "appt"), (r"\bhours\b", "hrs"), (r"\bminutes\b", "mins"),
    (r"\byear old\b", "yo"), (r"\babout\b", "abt"), (r"\bbefore\b", "b4"), (r"\byou\b", "u"),
    (r"\byour\b", "ur"), (r"\bdoctor\b", "dr"), (r"\bmedication\b", "meds"),
    (r"\bemergency room\b", "er"), (r"\bgoing to\b", "gonna"), (r"\bwant to\b", "wanna"),
    (r"\bprobably\b", "prob"), (r"\bthough\b", "tho"), (r"\bweeks\b", "wks"),
    (r"\bprescription\b", "rx"), (r"\bsomething\b", "smth"), (r"\bpeople\b", "ppl"),
]
MISSPELL = {
    "because": "becuase", "diarrhea": "diarrea", "temperature": "temprature", "stomach": "stomache",
    "definitely": "definately", "nauseous": "nauseus", "prescription": "perscription",
    "medicine": "medecine", "appointment": "appointmant", "really": "realy", "throat": "throught",
    "pharmacy": "pharmacey", "doctor": "docter", "swollen": "swolen", "vomiting": "vommiting",
    "tonight": "tonite", "breathing": "breething", "allergic": "alergic", "little": "litle",
    "tylenol": "tylenal", "ibuprofen": "ibuprofin", "headache": "head ache", "weird": "wierd",
    "pregnant": "pregant", "worried": "worryed", "until": "untill", "since": "scince",
}
PROTECT = {"no", "not", "dont", "don't", "doesnt", "doesn't", "isnt", "isn't", "cant", "can't",
           "won't", "wont", "without", "never"}

# --------------------------------------------------------------------------------------------
# Subjects
# --------------------------------------------------------------------------------------------

PRON = {
    "1": dict(S="i", Sb="i'm", Sh="i've", Sn="i'm not", O="me", P="my", Pself="myself", be="am",
              have="have", do="do", dont="don't", havent="haven't", s="", es="", ies="y", was="was"),
    "m": dict(S="he", Sb="he's", Sh="he's", Sn="he's not", O="him", P="his", Pself="himself", be="is",
              have="has", do="does", dont="doesn't", havent="hasn't", s="s", es="es", ies="ies", was="was"),
    "f": dict(S="she", Sb="she's", Sh="she's", Sn="she's not", O="her", P="her", Pself="herself",
              be="is", have="has", do="does", dont="doesn't", havent="hasn't", s="s", es="es", ies="ies",
              was="was"),
}
ADULT_REL = {  # relation -> (sex, min age, max age, show age?)
    "husband": ("m", 20, 89), "wife": ("f", 20, 89), "boyfriend": ("m", 18, 60),
    "girlfriend": ("f", 18, 60), "dad": ("m", 45, 89), "father": ("m", 45, 89), "mom": ("f", 40, 89),
    "mother": ("f", 40, 89), "grandpa": ("m", 65, 89), "grandma": ("f", 65, 89),
    "brother": ("m", 18, 70), "sister": ("f", 18, 70), "roommate": (None, 18, 45),
    "partner": (None, 18, 89), "adult son": ("m", 18, 50), "adult daughter": ("f", 18, 50),
    "father in law": ("m", 55, 89), "mother in law": ("f", 55, 89),
}
PARTNERS = {"wife", "girlfriend", "partner", "sister", "adult daughter"}


@dataclass
class Subject:
    kind: str
    sex: str
    age: float
    np: str = ""

    @property
    def child(self) -> bool:
        return self.kind in CHILD_KINDS

    @property
    def pron(self) -> dict:
        return PRON["1"] if self.kind in "st" else PRON[self.sex]


def make_subject(rng: random.Random, s: Scenario, kind: str) -> Subject:
    sex = s.sex or rng.choice("fm")
    if kind == "s":
        return Subject(kind, sex, rng.randint(s.ages[0], s.ages[1]))
    if kind == "t":
        lo, hi = max(13, s.kid[0]), min(17, s.kid[1])
        return Subject(kind, sex, rng.randint(lo, hi))
    if kind == "a":
        for _ in range(100):
            rel = rng.choice(sorted(ADULT_REL))
            rsex, lo, hi = ADULT_REL[rel]
            if (rsex and rsex != sex) or (rsex is None and s.sexcue):
                continue
            if "pregnancy" in s.tags and rel not in PARTNERS:
                continue
            lo, hi = max(lo, s.ages[0]), min(hi, s.ages[1])
            if lo <= hi:
                break
        else:
            raise RuntimeError(f"no relation for {s.id}")
        age = rng.randint(lo, hi)
        show = rel in ("brother", "sister") or rng.random() < 0.3
        np = f"my {rel}"
        if rel.startswith("adult"):
            np = rng.choice([f"my {rel.split()[1]} ({age})", f"my {rel.split()[1]} who is {age}",
                             f"my {age} year old {rel.split()[1]}"])
        elif show:
            np = rng.choice([f"my {rel} ({age})", f"my {rel}, {age},", f"my {rel} who is {age}"])
        return Subject(kind, sex, age, np)
    word = {"m": "son", "f": "daughter"}[sex]
    if kind == "i":
        age = rng.uniform(*s.inf)
        weeks = max(1, int(age * 52))
        if age < 0.25:
            months = weeks * 12 // 52
            opts = [f"my {weeks} week old", f"my baby ({weeks} weeks)", f"my {weeks} week old {word}",
                    f"my newborn {word} ({weeks} wks)" if weeks <= 6 else f"my baby {word}, {weeks} weeks,"]
            if months >= 1:
                opts += [f"my {months} month old", f"my {months} month old baby"]
        else:
            months = int(age * 12)
            opts = [f"my {months} month old", f"my baby ({months} months)", f"my {months} mo {word}",
                    f"my {months} month old {word}"]
        return Subject(kind, sex, age, rng.choice(opts))
    age = rng.randint(s.kid[0], s.kid[1])
    opts = [f"my {word} ({age})", f"my {age} yo", f"my {age} year old", f"my {age} year old {word}",
            f"my {word}, {age},", f"my {age}yo {word}", f"my kid ({age})", f"my {word} who is {age}"]
    if age <= 3:
        opts += [f"my toddler ({age})", f"my little {'boy' if sex == 'm' else 'girl'} ({age})"]
    elif age <= 8:
        opts += [f"my little {'boy' if sex == 'm' else 'girl'} ({age})"]
    elif age >= 13:
        opts += [f"my teenage {word} ({age})", f"my teen {word}, {age},"]
    return Subject(kind, sex, age, rng.choice(opts))


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

TOKEN = re.compile(r"\{(\w+)\}")
PERSON_TOKENS = {"S", "Sb", "Sh", "Sn", "O", "P", "Pself"}
NP_FORMS = {"S": "{NP}", "Sb": "{NP} is", "Sh": "{NP} has", "Sn": "{NP} isn't"}


def allowed(piece: str, kind: str) -> str | None:
    """Return the piece without its kind prefix, or None when it does not fit the subject."""
    if "|" in piece:
        kinds, text = piece.split("|", 1)
        return text if kind in kinds else None
    return piece


def pick(rng: random.Random, pieces: list, kind: str, k: int = 1) -> list[str]:
    fit = [p for p in (allowed(x, kind) for x in pieces) if p is not None]
    if not fit:
        return []
    return rng.sample(fit, min(k, len(fit)))


class Renderer:
    def __init__(self, rng: random.Random, subj: Subject, scen: Scenario, dur_class: str | None):
        self.rng, self.subj, self.scen, self.dur_class = rng, subj, scen, dur_class
        self.dur_pair = rng.choice(DUR[dur_class or "days"])

    def fill(self, name: str) -> str:
        rng = self.rng
        if name in self.subj.pron:
            return self.subj.pron[name]
        if name in ("dur", "ago"):
            return self.dur_pair[0 if name == "dur" else 1]
        if name == "fever":
            if rng.random() < 0.7:
                return rng.choice(["101", "101.5", "102", "102.4", "103", "100.9", "101.8", "102.6",
                                   "103.2", "101F", "102 F"])
            return rng.choice(["38.6", "39.1", "38.9 C", "39.4", "38.7c", "39"])
        if name == "ifever":
            if rng.random() < 0.7:
                return rng.choice(["100.4", "100.6", "100.8", "101", "101.3", "100.5", "102.1", "100.9F"])
            return rng.choice(["38.0", "38.2", "38.4 C", "38.5", "38.1c", "38.9"])
        if name == "normtemp":
            return rng.choice(["98.6", "98.9", "99.1", "98.2", "37.0", "36.8", "99", "97.9"])
        if name == "n_min":
            return str(rng.choice([5, 6, 7, 8, 10, 12, 15, 20]))
        if name == "gen_med":
            return rng.choice(GEN_MEDS)
        if name == "heart_med":
            return rng.choice(HEART_MEDS)
        if name == "allergy_med":
            return rng.choice(ALLERGY_MEDS)
        if name == "otc":
            return rng.choice(OTC)
        if name == "sched":
            return self.render(rng.choice(self.scen.sched))
        if name == "NP":
            return self.subj.np
        raise KeyError(f"unknown token {{{name}}} in scenario {self.scen.id}")

    def render(self, text: str) -> str:
        return TOKEN.sub(lambda m: self.fill(m.group(1)), text)


def first_person_token(text: str) -> str | None:
    for m in TOKEN.finditer(text):
        if m.group(1) in PERSON_TOKENS:
            return m.group(1)
    return None


def introduce(parts: list[str], subj: Subject, rng: random.Random,
              core_idx: int) -> tuple[list[str], bool]:
    """For messages about someone else, make the first subject mention the noun phrase.

    The noun phrase must come no later than the main complaint (``parts[core_idx]``), or the
    complaint would read as the writer's own. Returns the parts and whether an intro is needed."""
    if subj.kind in "st":
        return parts, False
    for idx, part in enumerate(parts):
        tok = first_person_token(part)
        if tok is None:
            if idx >= core_idx:
                return parts, True
            continue
        if tok in NP_FORMS and rng.random() < 0.6:
            m = next(m for m in TOKEN.finditer(part) if m.group(1) in PERSON_TOKENS)
            parts[idx] = part[:m.start()] + NP_FORMS[tok] + part[m.end():]
            return parts, False
        return parts, True
    return parts, True


# --------------------------------------------------------------------------------------------
# Surface noise
# --------------------------------------------------------------------------------------------

def add_typos(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    idxs = [i for i, w in enumerate(words) if w.isalpha() and len(w) >= 4 and w.lower() not in PROTECT]
    if not idxs:
        return text
    for i in rng.sample(idxs, min(len(idxs), rng.choice([1, 1, 2, 2, 3]))):
        w = words[i]
        low = w.lower()
        if low in MISSPELL and rng.random() < 0.5:
            words[i] = MISSPELL[low]
            continue
        op = rng.choice(["drop", "swap", "swap", "double"])
        j = rng.randint(1, len(w) - 2)
        if op == "drop":
            w = w[:j] + w[j + 1:]
        elif op == "swap":
            w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
        else:
            w = w[:j] + w[j] + w[j:]
        words[i] = w
    return " ".join(words)


def abbreviate(text: str, rng: random.Random) -> str:
    for pat, rep in ABBREV:
        if rng.random() < 0.55:
            text = re.sub(pat, rep, text)
    if rng.random() < 0.15:
        text = text.replace(" and ", " & ")
    return text


def sentence_case(text: str) -> str:
    text = re.sub(r"(^|[.?!]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)
    return re.sub(r"\bi\b", "I", text)


CONNECTORS = {"and", "but", "so", "plus", "also", "btw", "oh", "just", "&"}


def join(parts: list[str], rng: random.Random, style: str) -> str:
    out = parts[0]
    for p in parts[1:]:
        if p.split()[0] in CONNECTORS:
            sep = rng.choice([", ", " ", ". ", " - ", "... "])
        elif style == "sent" or (style == "mixed" and rng.random() < 0.5):
            sep = rng.choice([". ", ". ", ". ", ". ", "! ", ".. ", " - "])
        else:
            sep = rng.choice([" and ", ", ", " ", ", ", " so ", " and ", "... ", " - "])
        out += sep + p
    return out


# --------------------------------------------------------------------------------------------
# Message generation
# --------------------------------------------------------------------------------------------

def choose_kind(rng: random.Random, s: Scenario) -> str:
    kinds = sorted(s.who)
    return rng.choices(kinds, weights=[s.who[k] for k in kinds])[0]


def label(s: Scenario, subj: Subject) -> tuple[str, str]:
    if s.urg == "emergency":
        return "emergency", ED
    if subj.child:
        return s.urg, PED
    dest = s.dest[subj.sex] if isinstance(s.dest, dict) else s.dest
    return s.urg, dest


def companions(rng: random.Random, s: Scenario, subj: Subject, dest: str, k: int) -> list[Scenario]:
    out: list[Scenario] = []
    pool = [c for c in SCENARIOS if c.comp and c.id != s.id and subj.kind in c.who
            and (c.sex is None or c.sex == subj.sex)]
    rng.shuffle(pool)
    for c in pool:
        if len(out) >= k:
            break
        if RANK[c.urg] > RANK[s.urg]:
            continue
        if RANK[c.urg] == RANK[s.urg] and label(c, subj)[1] != dest:
            continue
        if c.tags & s.excl or any(c.tags & o.excl or o.tags & c.excl for o in out):
            continue
        if (c.tags & s.tags) - {"admin"} or any((c.tags & o.tags) - {"admin"} for o in out):
            continue
        if any(c.dest == o.dest and c.urg == o.urg for o in out):
            continue
        if kind_ok(c, subj) and not pick_comp_empty(c, subj):
            out.append(c)
    return out


def kind_ok(c: Scenario, subj: Subject) -> bool:
    if subj.kind in "ci":
        lo, hi = (c.inf if subj.kind == "i" else c.kid)
        return lo <= subj.age <= hi + 0.99
    if subj.kind == "t":
        return c.kid[0] <= subj.age <= c.kid[1]
    return c.ages[0] <= subj.age <= c.ages[1]


def pick_comp_empty(c: Scenario, subj: Subject) -> bool:
    return not [p for p in c.comp if allowed(p, subj.kind) is not None]


def age_sex_cue(rng: random.Random, subj: Subject, need_sex: bool) -> str:
    a = subj.age
    if subj.kind == "t":
        return rng.choice([f"i'm {a}", f"i'm {a} btw", f"{a} yo here", f"im {a} years old",
                           f"({a}{subj.sex})", f"i'm a {a} year old {'guy' if subj.sex == 'm' else 'girl'}"])
    if need_sex:
        w = "woman" if subj.sex == "f" else "man"
        g = "female" if subj.sex == "f" else "male"
        return rng.choice([f"({a}{subj.sex})", f"{a} yo {w}", f"{g}, {a}", f"i'm a {a} year old {w}",
                           f"{a}{subj.sex} here", f"{g} {a}",
                           "i'm a guy" if subj.sex == "m" else "i'm a woman"])
    return rng.choice([f"i'm {a}", f"{a} yo", f"({a})", f"i'm {a} years old"])


def generate(rng: random.Random, s: Scenario) -> dict:
    kind = choose_kind(rng, s)
    subj = make_subject(rng, s, kind)
    urg, dest = label(s, subj)
    dur_class = rng.choice(s.dur) if s.dur else None
    r = Renderer(rng, subj, s, dur_class)
    length = rng.choices(["short", "normal", "long"], weights=[9, 78, 13])[0]

    if length == "short" and pick(rng, s.short, kind):
        body = pick(rng, s.short, kind)
        parts = body[:]
        if rng.random() < 0.3:
            parts.append(rng.choice(["pls", "help", "?", "what do i do", "thx", "advice?", "pls call"]))
        need_cue = kind == "t" or (s.sexcue and kind == "s")
        if need_cue:
            parts.insert(0, age_sex_cue(rng, subj, s.sexcue))
        parts, need_intro = introduce(parts, subj, rng, 0)  # cues are only added for self
        if need_intro:
            parts.insert(0, rng.choice(INTROS_NP_ONLY))
        text = " ".join(r.render(p) for p in parts).replace(" ?", "?")
        return finish(rng, text, urg, dest, subj, short=True)

    pre: list[str] = []
    post: list[str] = []
    core = pick(rng, s.core, kind)[0]
    if dur_class and not WHEN.search(core) and rng.random() < 0.55:
        core = core + rng.choice([", ", " ", ". "]) + rng.choice(DUR_CLAUSE)

    ndet = rng.choices([0, 1, 2], weights=[45, 40, 15])[0] + (1 if length == "long" else 0)
    details = pick(rng, s.details, kind, ndet)
    said = " ".join([core] + details)
    # denied red flags
    neg_tags = [t for t in s.neg if t in NEG and not any(w in said for w in NEG_WORDS.get(t, ()))]
    comps = []
    ncomp = rng.choices([0, 1, 2], weights=[52, 35, 13])[0]
    if ncomp:
        comps = companions(rng, s, subj, dest, ncomp)
    pos_tags = set(s.tags).union(*[c.tags for c in comps]) if comps else set(s.tags)
    neg_tags = [t for t in neg_tags if t not in pos_tags]
    negs: list[str] = []
    if neg_tags and rng.random() < 0.55:
        for t in rng.sample(neg_tags, min(len(neg_tags), rng.choice([1, 1, 2, 2, 3]))):
            choice = pick(rng, NEG[t], kind)
            if choice:
                negs.append(choice[0])
    if negs and rng.random() < 0.35:
        joiner = [" but ", ", but ", " but ", ". but "] + ([" just "] if negs[0].startswith("no ") else [])
        core = negs.pop(0) + rng.choice(joiner) + core

    body = [core] + details
    for c in comps:
        phr = pick(rng, c.comp, kind)[0]
        words = phr.split()
        if words[0] in ("also", "and", "plus", "btw", "honestly"):
            lead = ""
        elif "also" in words or "too" in words or "well" in words:
            lead = rng.choice(["", "oh and ", "and ", "btw "])
        else:
            lead = rng.choice(COMP_LEAD)
        tail = " too" if lead == "" and "also" not in words and "too" not in words and rng.random() < 0.5 else ""
        body.append(lead + phr + tail)
    if negs:
        if len(negs) > 1 and rng.random() < 0.5:
            body.append(rng.choice(["", "", "but ", "and "]) + " and ".join(negs))
        else:
            body.append(rng.choice(["", "but ", "", "btw "]) + negs[0])
            body += negs[1:]
    if s.tried and rng.random() < (0.25 if length != "long" else 0.6):
        body += pick(rng, TRIED, kind)

    if rng.random() < (0.25 if length != "long" else 0.7):
        h = pick(rng, HISTORY, kind, 1 if length != "long" else 2)
        (pre if rng.random() < 0.5 else post).extend(h)
    if rng.random() < (0.12 if length != "long" else 0.6):
        pre += pick(rng, CONTEXT, kind)
    if length == "long":
        story = pick(rng, STORY, kind, rng.randint(2, 4))
        pre = story[: len(story) // 2] + pre
        post += story[len(story) // 2:]
    admin = "admin" in s.tags
    if not admin and rng.random() < (0.15 if length != "long" else 0.5):
        post.append(rng.choice(WORRY))
    if kind == "t" or (s.sexcue and kind == "s") or (kind == "s" and rng.random() < 0.12):
        cue = age_sex_cue(rng, subj, s.sexcue and kind == "s")
        (pre.insert(0, cue) if rng.random() < 0.6 else post.append(cue))

    parts = []
    for p in pre + body + post:
        bare = TOKEN.sub("", allowed(p, kind) or p).strip(" ,")
        if len(bare) > 8 and any(bare in q for q in parts):
            continue
        parts.append(p)
    core_idx = parts.index(body[0])
    parts, need_intro = introduce(parts, subj, rng, core_idx)
    if need_intro:
        parts.insert(0, rng.choice(INTROS))
    if rng.random() < 0.45:
        parts.insert(0, rng.choice(OPENERS))
    if rng.random() < 0.7:
        parts += pick(rng, ADMIN_CLOSINGS if admin else CLOSINGS, kind)
    if rng.random() < 0.2:
        parts.append(rng.choice(SIGNOFFS))

    style = rng.choices(["sent", "runon", "mixed"], weights=[35, 35, 30])[0]
    rendered = [r.render(p) for p in parts if p]
    text = join(rendered, rng, style)
    if style != "runon" and rng.random() < 0.6:
        text += rng.choice([".", ".", "?", "??", "!", "..."])
    return finish(rng, text, urg, dest, subj, short=False)


def finish(rng: random.Random, text: str, urg: str, dest: str, subj: Subject, short: bool) -> dict:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r",\s*([.!?,])", r"\1", text)
    if rng.random() < 0.5:
        text = text.replace("'", "")
    if rng.random() < 0.4:
        text = abbreviate(text, rng)
    if rng.random() < 0.15:
        text = add_typos(text, rng)
    if rng.random() < 0.35:
        text = sentence_case(text)
    return {"text": text, "urgency": urg, "destination": dest,
            "age_group": "child" if subj.child else "adult"}


def assign_splits(records: list[dict]) -> None:
    """Stratified by (urgency, destination): in id order, every record that moves the running
    dev quota over the next integer goes to dev (~15% of every stratum)."""
    seen: Counter = Counter()
    for rec in records:
        key = (rec["urgency"], rec["destination"])
        k = seen[key]
        seen[key] += 1
        rec["split"] = "dev" if int((k + 1) * DEV_SHARE) > int(k * DEV_SHARE) else "train"


def validate_library() -> None:
    """Every scenario has core text (and an age range) for every subject kind it allows."""
    for s in SCENARIOS:
        assert s.urg in URGENCIES, s.id
        dests = s.dest.values() if isinstance(s.dest, dict) else [s.dest]
        assert all(d in DESTINATIONS for d in dests), s.id
        assert (s.urg == "emergency") == (s.dest == ED), s.id
        for kind in s.who:
            assert kind in KINDS, (s.id, kind)
            assert pick(random.Random(0), s.core, kind), (s.id, kind)
        assert not isinstance(s.dest, dict) or s.sexcue, s.id


def build() -> list[dict]:
    validate_library()
    rng = random.Random(SEED)
    plan = [s for s in SCENARIOS for _ in range(s.n)]
    rng.shuffle(plan)
    records, seen = [], set()
    for s in plan:
        for _ in range(50):
            rec = generate(rng, s)
            key = re.sub(r"[^a-z0-9]", "", rec["text"].lower())
            n = len(rec["text"].split())
            if key in seen or not 3 <= n <= 150:
                continue
            seen.add(key)
            records.append(rec)
            break
        else:
            raise RuntimeError(f"could not make a new message for {s.id}")
    out = []
    for i, rec in enumerate(records, 1):
        out.append({"id": f"tr-{i:05d}", "text": rec["text"], "urgency": rec["urgency"],
                    "destination": rec["destination"], "split": "", "age_group": rec["age_group"],
                    "source": SOURCE})
    assign_splits(out)
    return out


# --------------------------------------------------------------------------------------------
# Checks and report
# --------------------------------------------------------------------------------------------

PHI_PATTERNS = [
    re.compile(r"\b\d{3}[-.\s]\d{3}[-.\s]\d{4}\b"),             # phone
    re.compile(r"\b[\w.]+@[\w.]+\.\w+\b"),                        # email
    re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b"),                  # date
    re.compile(r"\b\d+\s+\w+\s+(street|st|avenue|ave|road|rd|drive|dr|lane|ln)\b", re.I),  # address
    re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),                         # ssn
    re.compile(r"\b(9\d|1\d\d)\s*(yo|year old|years old)\b"),      # age > 89
]


def check(path: Path) -> list[str]:
    problems: list[str] = []
    records = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            problems.append(f"line {n}: invalid JSON ({exc})")
    keys = {"id", "text", "urgency", "destination", "split", "age_group", "source"}
    texts: Counter = Counter()
    for i, r in enumerate(records, 1):
        where = r.get("id", f"line {i}")
        if set(r) != keys:
            problems.append(f"{where}: keys {sorted(r)}")
            continue
        if r["id"] != f"tr-{i:05d}":
            problems.append(f"{where}: id out of sequence")
        if r["urgency"] not in URGENCIES:
            problems.append(f"{where}: urgency {r['urgency']!r}")
        if r["destination"] not in DESTINATIONS:
            problems.append(f"{where}: destination {r['destination']!r}")
        if r["split"] not in ("train", "dev"):
            problems.append(f"{where}: split {r['split']!r}")
        if r["age_group"] not in ("adult", "child"):
            problems.append(f"{where}: age_group {r['age_group']!r}")
        if r["source"] != SOURCE:
            problems.append(f"{where}: source {r['source']!r}")
        if (r["urgency"] == "emergency") != (r["destination"] == ED):
            problems.append(f"{where}: emergency must go with (and only with) {ED}")
        if r["age_group"] == "child" and r["urgency"] != "emergency" and r["destination"] != PED:
            problems.append(f"{where}: non-emergency child not in {PED}")
        if r["age_group"] == "adult" and r["destination"] == PED:
            problems.append(f"{where}: adult in {PED}")
        n = len(r["text"].split())
        if not 3 <= n <= 150:
            problems.append(f"{where}: {n} words")
        if "{" in r["text"] or "}" in r["text"]:
            problems.append(f"{where}: unrendered token")
        for pat in PHI_PATTERNS:
            if pat.search(r["text"]):
                problems.append(f"{where}: looks like PHI: {pat.pattern}")
        texts[r["text"]] += 1
    for t, c in texts.items():
        if c > 1:
            problems.append(f"duplicate text x{c}: {t[:60]}")
    total = len(records)
    urg = Counter(r["urgency"] for r in records)
    dest = Counter(r["destination"] for r in records)
    if total < 2800:
        problems.append(f"only {total} messages")
    for d in DESTINATIONS:
        if dest[d] < 120:
            problems.append(f"destination {d}: {dest[d]} < 120")
    for u in ("emergency", "self_care"):
        if urg[u] < 0.12 * total:
            problems.append(f"urgency {u}: {urg[u]} < 12%")
    return problems


def report(records: list[dict]) -> str:
    total = len(records)
    lines = [f"messages: {total}", ""]
    for fld, values in (("urgency", URGENCIES), ("destination", DESTINATIONS),
                        ("age_group", ("adult", "child"))):
        lines.append(f"| {fld} | train | dev | all | % |")
        lines.append("|---|---:|---:|---:|---:|")
        c = defaultdict(Counter)
        for r in records:
            c[r["split"]][r[fld]] += 1
        for v in values:
            a = c["train"][v] + c["dev"][v]
            lines.append(f"| {v} | {c['train'][v]} | {c['dev'][v]} | {a} | {100 * a / total:.1f} |")
        lines.append(f"| total | {sum(c['train'].values())} | {sum(c['dev'].values())} | {total} | 100 |")
        lines.append("")
    words = sorted(len(r["text"].split()) for r in records)
    lines.append(f"words per message: min {words[0]}, median {words[len(words) // 2]}, "
                 f"max {words[-1]}; <= 5 words: {sum(w <= 5 for w in words)}, "
                 f">= 60 words: {sum(w >= 60 for w in words)}")
    npara = sum(len(s.core) + len(s.short) for s in SCENARIOS)
    lines.append(f"scenarios: {len(SCENARIOS)}, core+short paraphrases: {npara}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="validate the existing file only")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not args.check:
        records = build()
        with args.out.open("w", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    records = [json.loads(x) for x in args.out.read_text(encoding="utf-8").splitlines()]
    problems = check(args.out)
    print(report(records))
    for p in problems[:50]:
        print("PROBLEM:", p, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problems", file=sys.stderr)
        return 1
    print("checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

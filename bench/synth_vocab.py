"""The synthetic news corpus's vocabulary: word lists and, per topic, the templates its
sentences are built from (data only; ``bench/synth.py`` draws from it). Written from scratch:
no sentence of the real articles is copied."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


def _lines(block: str) -> tuple[str, ...]:
    """One item per non-blank line (keeps long vocabularies compact and readable)."""
    return tuple(line.strip() for line in block.strip().splitlines() if line.strip())


AGENCIES = (
    ("AP", "Associated Press"),
    ("AFP", "Agence France-Presse"),
    ("Reuters", "Reuters"),
    ("dpa", "dpa"),
    ("Ukrinform", "Ukrinform"),
    ("Bloomberg", "Bloomberg"),
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = _lines("""
    January
    February
    March
    April
    May
    June
    July
    August
    September
    October
    November
    December
""")
FIRST_DAY = dt.date(2024, 9, 1)
LAST_DAY = dt.date(2025, 12, 31)

SAY = _lines("""
    said
    told reporters
    said in a statement
    told a news conference
    said in an interview
    wrote on social media
    told lawmakers
    added
    said on television
""")
# Past tense, so nothing has to agree with a singular or plural subject.
PLAN = _lines("""
    agreed to
    pledged to
    refused to
    called on partners to
    promised to
    offered to
    voted to
    declined to
    moved to
    vowed to
    sought to
    failed to
    threatened to
    prepared to
""")
WHEN = _lines("""
    by the end of the year
    in the coming weeks
    once a deal is signed
    before the next summit
    as early as next month
    despite strong objections
    within days
    after months of talks
    without giving a timetable
    if the plan wins enough support
    later this week
    before the winter
    over the next three years
""")
POLITICAL_SOURCES = _lines("""
    officials said
    a source familiar with the discussions said
    two diplomats said
    a senior official said on condition of anonymity
    according to people briefed on the talks
    according to a draft seen by reporters
    local media reported
""")
GENERAL_SOURCES = _lines("""
    officials said
    data published on Monday showed
    the company said
    local media reported
    according to preliminary figures
    a spokesperson said
""")
# Quotes built from a topic's actions, so no topic runs out of things to say.
QUOTE_FORMS = _lines("""
    We are ready to {action}
    Our goal is to {action} {when}
    It is time to {action}
    We will {action}, whatever it takes
    There is no reason to {action} {when}
    The question is not whether to {action}, but when
    We have asked our partners to {action}
    Nobody here wants to {action} {when}
    If we fail to {action}, we will pay for it later
    Our position has not changed: we want to {action}
""")
FIRST_NAMES = _lines(
    """
    Anna Lukas Marta Pierre Olena Tomas Sofia Jan Claire Mikael
    Irena Paolo Hanna Dmytro Laura Stefan Nadia Henrik Elena Karim
""".replace(" ", "\n")
)
LAST_NAMES = _lines(
    """
    Novak Lefebvre Kowalczyk Moretti Shevchenko Lindgren Dubois Horvat Petrenko Jensen
    Almeida Weber Marchetti Kovalenko Duarte Berger Nieminen Rossi Bondarenko Fischer
""".replace(" ", "\n")
)


@dataclass(frozen=True)
class Topic:
    """What a topic's sentences are made of. Templates name slots such as ``{city}``."""

    name: str
    weight: float  # share of articles
    related: bool  # shares vocabulary with the real corpus
    places: tuple[str, ...]  # datelines and events
    countries: tuple[str, ...]
    leaders: tuple[str, ...]  # "Title Name": people named with their title before the name
    roles: tuple[str, ...]  # descriptions of generated people: "Name, a …, said"
    orgs: tuple[str, ...]
    actors: tuple[str, ...]  # noun phrases that act
    actions: tuple[str, ...]  # base-form verb phrases
    events: tuple[str, ...]
    quotes: tuple[str, ...]
    facts: tuple[str, ...]  # sentences with numbers
    background: tuple[str, ...]
    headings: tuple[str, ...]
    headlines: tuple[str, ...]


TOPICS = (
    Topic(
        name="security",
        weight=0.16,
        related=True,
        places=_lines("Paris\nLondon\nKyiv\nBrussels\nBerlin\nRome\nWarsaw\nAnkara"),
        countries=_lines("Ukraine\nFrance\nBritain\nGermany\nPoland\nItaly\nTürkiye\nCanada"),
        leaders=_lines("""
            French President Emmanuel Macron
            Ukrainian President Volodymyr Zelenskyy
            British Prime Minister Keir Starmer
            German Chancellor Friedrich Merz
            NATO Secretary General Mark Rutte
            US Secretary of State Marco Rubio
        """),
        roles=_lines("""
            a spokeswoman for the French defence ministry
            a senior Ukrainian diplomat
            a British defence official
            the head of the Polish national security bureau
            a German government spokesman
            a military planner at NATO headquarters
            a researcher at the European Council on Foreign Relations
        """),
        orgs=_lines("""
            the Coalition of the Willing
            NATO
            the Elysee Palace
            the Ukrainian presidential office
            the British Ministry of Defence
            Interfax-Ukraine
        """),
        actors=_lines("""
            the Coalition of the Willing
            European allies
            the coalition
            Britain and France
            NATO members
            the Nordic and Baltic states
            Ukraine's partners
            the United States
            Berlin
            the European Union
            defence ministers
        """),
        actions=_lines("""
            provide security guarantees to Ukraine
            deploy troops to Ukraine after a ceasefire
            lead a multinational reassurance force
            monitor a future ceasefire line
            protect Ukrainian airspace
            secure shipping lanes in the Black Sea
            train and equip the Ukrainian army
            set up a working group on security guarantees
            finance long-term military support for Kyiv
            send air defence systems before winter
            keep up pressure on Russia
            back a ceasefire along the current front line
            contribute ships to a maritime mission
            station aircraft in Romania and Poland
        """),
        events=_lines("""
            a meeting of the Coalition of the Willing
            a video conference of coalition leaders
            the summit at the Elysee Palace
            talks between defence ministers
            a NATO meeting in Brussels
            a closed-door session with military planners
        """),
        quotes=_lines("""
            We will not leave Ukraine alone when the guns fall silent
            Security guarantees must be credible, or they are worth nothing
            Russia must understand that our support is not going to fade
            Our troops would be there to reassure, not to fight
            There is no lasting peace without guarantees for {country}
            {n} countries are ready to take part, and more will follow
            The next few days will decide the shape of the force
            We are not at war with Russia, but we will not be naive
            Every partner must say clearly what it can contribute
            The Americans have been involved at every stage, and that matters
            A ceasefire without guarantees would only give Moscow time to rearm
            We are ready to share the burden with our European partners
        """),
        facts=_lines("""
            {n} countries have signalled they could contribute troops or equipment
            The force could number up to {n},000 soldiers, {source}
            {n} of the {n2} countries at the meeting backed the plan
            The support package for {country} is worth {money}
            About {pct} percent of voters in {country} support sending troops, a poll found
            {country} has delivered {n} air defence systems since the start of the year
            Planners have drawn up {k} options for the mission, {source}
        """),
        background=_lines("""
            Russia launched its full-scale invasion of Ukraine in February 2022
            The coalition was formed by France and Britain to plan support after a ceasefire
            Moscow has said it would not accept foreign troops in Ukraine
            Washington has not said whether it would provide a backstop for the force
            Ukraine has asked for guarantees modelled on NATO's mutual defence clause
        """),
        headings=_lines("""
            Security guarantees
            Troops on the ground
            Pressure on Russia
            What the coalition offers
            The role of the United States
            Next steps
        """),
        headlines=_lines("""
            {name} says allies ready to {action}
            Coalition of the Willing weighs plan to {action}
            {country} offers to {action}
            Allies divided over plan to {action}
            Security guarantees for Ukraine: {country} signals support
        """),
    ),
    Topic(
        name="talks",
        weight=0.12,
        related=True,
        places=_lines("Geneva\nIstanbul\nRiyadh\nAbu Dhabi\nMiami\nMoscow\nDoha\nVienna"),
        countries=_lines("Ukraine\nRussia\nthe United States\nSaudi Arabia\nQatar\nSwitzerland"),
        leaders=_lines("""
            Russian President Vladimir Putin
            Kremlin spokesman Dmitry Peskov
            Russian Foreign Minister Sergei Lavrov
            US President Donald Trump
            US envoy Steve Witkoff
            Ukrainian President Volodymyr Zelenskyy
        """),
        roles=_lines("""
            a member of the Ukrainian delegation
            a Swiss mediator
            a Russian deputy foreign minister
            a White House spokeswoman
            a Turkish diplomat
        """),
        orgs=_lines("the Kremlin\nthe White House\nthe Ukrainian foreign ministry\nTASS\nReuters"),
        actors=_lines("""
            the Ukrainian delegation
            US negotiators
            the Kremlin
            Russian officials
            European envoys
            the mediators
            Moscow
            Kyiv
            Washington
        """),
        actions=_lines("""
            resume talks on a peace plan
            discuss a prisoner exchange
            agree on a ceasefire
            revise the draft peace framework
            meet again in {city}
            exchange the bodies of fallen soldiers
            hold a direct meeting of the two presidents
            put territorial questions on the agenda
            return deported Ukrainian children
            secure the Zaporizhzhia nuclear plant
        """),
        events=_lines("""
            the talks in {city}
            a round of negotiations in {city}
            a meeting of the two delegations
            a phone call between the presidents
            the peace conference
        """),
        quotes=_lines("""
            There are only a few points left on which we disagree
            Russia is not ready for a ceasefire at the moment
            We are ready to talk, but not at any price
            Nothing is agreed until everything is agreed
            The plan must respect the sovereignty of {country}
            We saw some progress today, but a lot of work remains
            Moscow wants to win time, not to end the war
            The talks were constructive and will continue
            We did not come here to sign a capitulation
        """),
        facts=_lines("""
            The draft has {n} points, {source}
            Both sides released {n} prisoners each in the latest exchange
            The delegations met for {k} hours on {weekday}
            {k} earlier rounds of talks ended without a breakthrough
        """),
        background=_lines("""
            Earlier rounds of talks produced prisoner exchanges but no ceasefire
            The Kremlin has repeatedly said it wants its conditions met before any truce
            Kyiv insists that no deal can be reached without Ukraine at the table
            European leaders have asked to be involved in any negotiations
        """),
        headings=_lines("Peace plan\nTalks in {city}\nWhat Moscow wants\nKyiv's position\nOutlook"),
        headlines=_lines("""
            Delegations to {action}
            {name} says Moscow unwilling to {action}
            Talks in {city} end without deal
            US and Ukraine agree to {action}
        """),
    ),
    Topic(
        name="sanctions",
        weight=0.08,
        related=True,
        places=_lines("Brussels\nStrasbourg\nLuxembourg\nBerlin\nBudapest\nBratislava\nOslo"),
        countries=_lines("Hungary\nSlovakia\nGermany\nNorway\nIndia\nChina\nRussia"),
        leaders=_lines("""
            European Commission President Ursula von der Leyen
            EU foreign policy chief Kaja Kallas
            US President Donald Trump
        """),
        roles=_lines("""
            an EU energy official
            a commodities analyst at Vantor Energy
            a Hungarian government spokesman
            an adviser to the European Commission
        """),
        orgs=_lines("""
            the European Commission
            the International Energy Agency
            Eurostat
            the Kyiv School of Economics
            the G7
        """),
        actors=_lines("""
            the European Union
            EU member states
            the European Commission
            G7 finance ministers
            Hungary and Slovakia
        """),
        actions=_lines("""
            tighten sanctions on Russian oil
            lower the price cap on Russian crude
            use frozen Russian assets to fund Ukraine
            phase out imports of Russian gas
            target the shadow fleet of tankers
            stop buying Russian fuel
            close loopholes in the sanctions regime
        """),
        events=_lines("""
            a meeting of EU ambassadors
            the summit of EU leaders
            a vote in the European Parliament
        """),
        quotes=_lines("""
            Every euro we pay for Russian fuel finances the war
            Europe must stop buying Russian oil, full stop
            Sanctions work, but they work slowly
            We cannot let one member state block the whole package
            Our energy security cannot depend on Moscow
        """),
        facts=_lines("""
            Russian oil export revenue fell to {money} in {month}, {source}
            The new package lists {n} more tankers of the shadow fleet
            Imports of Russian gas fell {pct} percent last year
            The frozen assets amount to about {money}
        """),
        background=_lines("""
            The EU has adopted several sanctions packages since 2022
            Hungary and Slovakia still receive Russian oil through the Druzhba pipeline
            Most frozen Russian central bank assets are held in Belgium
        """),
        headings=_lines("Sanctions\nEnergy\nFrozen assets\nWho objects"),
        headlines=_lines("""
            EU moves to {action}
            {name} urges Europe to {action}
            {country} blocks plan to {action}
        """),
    ),
    Topic(
        name="frontline",
        weight=0.09,
        related=True,
        places=_lines("Kyiv\nKharkiv\nOdesa\nDnipro\nZaporizhzhia\nLviv\nSumy\nKherson"),
        countries=_lines("Ukraine\nRussia"),
        leaders=_lines("Ukrainian President Volodymyr Zelenskyy"),
        roles=_lines("""
            a spokesman for the Ukrainian air force
            the regional governor
            the city's mayor
            an official of the state emergency service
            a Ukrainian army commander
        """),
        orgs=_lines("""
            the Ukrainian air force
            the General Staff
            the Russian defence ministry
            the state emergency service
            Ukrenergo
        """),
        actors=_lines("""
            Ukraine's air force
            the regional administration
            emergency services
            the grid operator
            the city council
        """),
        actions=_lines("""
            restore power to the city
            evacuate civilians from frontline villages
            repair damaged energy infrastructure
            open heating points for residents
            rebuild the damaged bridge
        """),
        events=_lines("the overnight attack\nthe strike on {city}\na massive drone attack"),
        quotes=_lines("""
            It was one of the heaviest attacks on the city since the start of the war
            Our air defence worked all night
            Russia is targeting our energy system ahead of winter
            We need more air defence, and we need it now
            Repair crews are working around the clock
        """),
        facts=_lines("""
            Russia launched {n} strike and decoy drones and {k} missiles overnight
            Air defences shot down {n} of them, {source}
            {n} people were injured and {k} were killed
            Power was cut to {n},000 homes in the region
        """),
        background=_lines("""
            Russia has stepped up attacks on Ukraine's power grid
            Ukraine has hit refineries deep inside Russia with long-range drones
        """),
        headings=_lines("Overnight attack\nDamage\nAir defence\nEnergy grid"),
        headlines=_lines("""
            Russia launches {n} drones at {city}
            {city} hit by overnight attack
            Authorities in {city} move to {action}
        """),
    ),
    Topic(
        name="france",
        weight=0.05,
        related=True,
        places=_lines("Paris\nMarseille\nLyon\nToulouse\nLille\nBordeaux\nStrasbourg"),
        countries=_lines("France"),
        leaders=_lines("French President Emmanuel Macron"),
        roles=_lines("""
            a government spokesman
            an opposition lawmaker
            the finance minister
            a union leader
            a political analyst at Sciences Po
        """),
        orgs=_lines("the National Assembly\nthe Elysee\nthe Senate\nINSEE\nthe Court of Auditors"),
        actors=_lines("""
            the National Assembly
            the government
            opposition parties
            the Elysee
            the prime minister
        """),
        actions=_lines("""
            pass the budget before the end of the year
            cut public spending
            raise defence spending
            call a confidence vote
            reform the pension system
            reduce the deficit
        """),
        events=_lines("a debate in parliament\na cabinet meeting\na televised address"),
        quotes=_lines("""
            France needs stability, not another crisis
            This budget asks everyone to make an effort
            We will not vote for cuts that hurt workers
            The country cannot keep borrowing at this pace
        """),
        facts=_lines("""
            The deficit reached {pct} percent of GDP last year, {source}
            The defence budget will rise to {money} by 2027
            {n} lawmakers backed the motion
        """),
        background=_lines("""
            No party has held a majority in the National Assembly since 2024
            France's public debt is among the highest in the euro zone
        """),
        headings=_lines("Budget\nParliament\nReactions"),
        headlines=_lines("""
            Macron's government seeks to {action}
            French lawmakers refuse to {action}
            Paris plans to {action}
        """),
    ),
    Topic(
        name="economy",
        weight=0.14,
        related=False,
        places=_lines("Frankfurt\nLondon\nNew York\nTokyo\nMadrid\nMilan\nZurich"),
        countries=_lines("Germany\nSpain\nJapan\nthe euro zone\nBritain\nthe United States"),
        leaders=(),
        roles=_lines("""
            chief economist at Banca Meridiana
            a strategist at Northgate Capital
            a member of the central bank's board
            an economist at the Halden Institute
        """),
        orgs=_lines("the European Central Bank\nthe Bank of England\nthe Federal Reserve\nthe IMF"),
        actors=_lines("""
            the European Central Bank
            the Bank of England
            the Federal Reserve
            the central bank
        """),
        actions=_lines("""
            raise interest rates
            hold interest rates steady
            cut borrowing costs
            revise the growth forecast
            tighten lending rules
            end bond purchases
        """),
        events=_lines("the rate meeting\nthe release of jobs data\nthe budget statement"),
        quotes=_lines("""
            Inflation is coming down, but it is not beaten yet
            We expect growth to pick up in the second half
            Consumers are still cautious
            The labour market remains surprisingly strong
            Markets are pricing in two more cuts this year
        """),
        facts=_lines("""
            Inflation slowed to {pct} percent in {month}
            The economy grew by {pct} percent in the third quarter
            Unemployment rose to {pct} percent, {source}
            {n},000 jobs were added in {month}
            Exports fell to {money}
        """),
        background=_lines("""
            Central banks raised rates sharply in 2022 and 2023
            Energy prices have eased since their peak
        """),
        headings=_lines("Rates\nInflation\nMarkets\nOutlook"),
        headlines=_lines("""
            Central bank set to {action}
            Inflation in {country} slows as bank moves to {action}
            Markets rally as investors bet on rate cuts
        """),
    ),
    Topic(
        name="weather",
        weight=0.12,
        related=False,
        places=_lines("Valencia\nAthens\nLisbon\nMunich\nGlasgow\nNaples\nSeville\nCopenhagen"),
        countries=_lines("Spain\nGreece\nPortugal\nGermany\nScotland\nItaly\nDenmark"),
        leaders=(),
        roles=_lines("""
            a forecaster at the national weather service
            the civil protection chief
            a climate scientist at the university
            the town's mayor
        """),
        orgs=_lines("the national weather service\nthe civil protection agency\nthe Red Cross"),
        actors=_lines("""
            the national weather service
            emergency crews
            firefighters
            local authorities
            the regional government
        """),
        actions=_lines("""
            issue a red alert for heavy rain
            evacuate low-lying areas
            close schools in the region
            open cooling centres
            clear fallen trees from roads
            reopen the airport
        """),
        events=_lines("the storm\nthe heatwave\nthe floods\nthe cold snap"),
        quotes=_lines("""
            We have not seen rain like this in decades
            People should stay at home until the warning is lifted
            The water came up so fast that we had no time to leave
            The heat will last at least until the weekend
        """),
        facts=_lines("""
            Temperatures reached {temp} degrees Celsius on {weekday}
            {n} millimetres of rain fell in {k} hours
            {n},000 homes were left without power, {source}
            Damage is estimated at {money}
        """),
        background=_lines("""
            Scientists say extreme weather is becoming more frequent
            The region was hit by similar floods two years ago
        """),
        headings=_lines("Warnings\nDamage\nForecast"),
        headlines=_lines("""
            Storm forces {city} to {action}
            Heatwave grips {country}
            Floods in {city}: authorities {plan} {action}
        """),
    ),
    Topic(
        name="sport",
        weight=0.12,
        related=False,
        places=_lines("Madrid\nManchester\nMunich\nTurin\nMelbourne\nMonaco\nDortmund"),
        countries=_lines("Spain\nEngland\nGermany\nItaly\nAustralia\nBrazil"),
        leaders=(),
        roles=_lines("the club's head coach\nthe team captain\na defender\nthe sporting director"),
        orgs=_lines("UEFA\nthe league\nthe football federation\nthe tournament organisers"),
        actors=_lines("the home side\nthe champions\nthe visitors\nthe national team\nthe club"),
        actions=_lines("""
            reach the quarter-finals
            sign a new striker
            appeal against the ban
            extend the coach's contract
            build a new stadium
            defend the title
        """),
        events=_lines("the final\nthe derby\nthe semi-final\nthe opening match of the season"),
        quotes=_lines("""
            We played with heart and we deserved to win
            It was a difficult night, but we stayed together
            The season is long and nothing is decided yet
            The fans pushed us to the end
        """),
        facts=_lines("""
            The match ended {g1}-{g2}
            {n},000 spectators watched the game
            He has scored {k} goals this season
            The transfer fee was {money}, {source}
        """),
        background=_lines("""
            The club won the league three seasons ago
            The team has struggled with injuries all season
        """),
        headings=_lines("Match report\nReaction\nTransfers"),
        headlines=_lines("""
            {city} side {plan} {action}
            Champions beaten in {city}
            Club moves to {action}
        """),
    ),
    Topic(
        name="tech",
        weight=0.12,
        related=False,
        places=_lines("San Francisco\nSeoul\nTaipei\nDublin\nAmsterdam\nBangalore\nHelsinki"),
        countries=_lines("the United States\nSouth Korea\nTaiwan\nIreland\nthe Netherlands"),
        leaders=(),
        roles=_lines("""
            chief executive of Lumen Systems
            an analyst at Halden Research
            head of security at Corvid Networks
            a product manager at Skylark
        """),
        orgs=_lines("Lumen Systems\nCorvid Networks\nSkylark\nthe European Commission"),
        actors=_lines("the company\nthe chipmaker\nthe start-up\nthe cloud provider\nSkylark"),
        actions=_lines("""
            build a new data centre
            launch an AI assistant
            cut smartphone prices
            open a chip plant
            pay a fine for breaching privacy rules
            patch the vulnerability
        """),
        events=_lines("the product launch\nthe developer conference\nthe earnings call"),
        quotes=_lines("""
            AI will change how every company works
            We take the security of our users very seriously
            Demand for chips is stronger than we expected
            Regulation should protect users without stopping innovation
        """),
        facts=_lines("""
            Revenue rose {pct} percent to {money}
            The app has {n} million users, {source}
            The plant will employ {n},000 people
            The breach affected {n} million accounts
        """),
        background=_lines("""
            Spending on data centres has grown quickly since 2023
            Regulators in Europe have tightened rules on artificial intelligence
        """),
        headings=_lines("The launch\nRegulation\nCompetition"),
        headlines=_lines("""
            Tech firm moves to {action}
            Regulators tell company to {action}
            {city} start-up {plan} {action}
        """),
    ),
)

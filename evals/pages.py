"""Saved news pages with known answers, for measuring HTML extraction (``evals/boilerplate.py``) and testing it.

Each page is a realistic layout around an invented local story; :class:`PageTruth` says which text on it is the
article, which is site chrome (``boilerplate``: menus, banners, promos, related links, comments, footers), which
strings hide in scripts, styles and comments, and what metadata the page carries (None where it carries none).
Headlines, bylines, datelines and live-blog timestamps are neither body nor boilerplate: keeping them is harmless.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from html import escape


@dataclass(frozen=True)
class PageTruth:
    kind: str
    body: tuple[str, ...]  # the article's paragraphs (and subheads), as a reader sees them
    boilerplate: tuple[str, ...]  # every piece of site chrome on the page, as it reads
    hidden: tuple[str, ...]  # text inside <script>, <style> and HTML comments: never text
    title: str | None
    author: str | None
    published: date | None
    source: str | None
    url: str | None
    fetch_url: str | None = None  # where the page was fetched from (passed to the extractor), if anywhere


@dataclass
class _Page:
    """Collects the strings of one page while its HTML is written, so the truth always matches the markup."""

    body: list[str] = field(default_factory=list)
    chrome: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)

    def p(self, text: str, links: dict[str, str] | None = None, tag: str = "p") -> str:
        """An article paragraph (or subhead with ``tag``), with some phrases linked as news sites do."""
        self.body.append(text)
        markup = escape(text, quote=False)
        for phrase, href in (links or {}).items():
            phrase = escape(phrase, quote=False)
            markup = markup.replace(phrase, f'<a href="{href}">{phrase}</a>', 1)
        return f"<{tag}>{markup}</{tag}>"

    def c(self, text: str) -> str:
        """A piece of boilerplate, escaped for the markup."""
        self.chrome.append(text)
        return escape(text, quote=False)

    def links(self, items: list[tuple[str, str]], sep: str = "") -> str:
        return sep.join(f'<a href="{href}">{self.c(text)}</a>' for text, href in items)

    def items(self, items: list[tuple[str, str]]) -> str:
        return "".join(f'<li><a href="{href}">{self.c(text)}</a></li>' for text, href in items)

    def script(self, code: str, kind: str = "") -> str:
        self.hidden.append(code)
        return f"<script{kind}>{code}</script>"

    def style(self, css: str) -> str:
        self.hidden.append(css)
        return f"<style>{css}</style>"

    def comment(self, text: str) -> str:
        self.hidden.append(text)
        return f"<!-- {text} -->"

    def truth(self, kind: str, **meta) -> PageTruth:
        return PageTruth(kind, tuple(self.body), tuple(self.chrome), tuple(self.hidden), **meta)


def _ld(data: dict) -> str:
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


def _local() -> tuple[str, PageTruth]:
    """A local paper's CMS page: cookie banner, inline-link menu, subscribe promo inside the story, related
    stories, newsletter box, footer; metadata in JSON-LD NewsArticle and a canonical link."""
    pg = _Page()
    headline = "Riverton council approves $4.2 million repair of Mill Street bridge"
    url = "https://www.rivertonledger.com/news/2025/03/04/mill-street-bridge-repair/"
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": headline,
        "datePublished": "2025-03-04T21:40:00-05:00",
        "dateModified": "2025-03-05T08:12:00-05:00",
        "author": {"@type": "Person", "name": "Maria Lopez", "url": "https://www.rivertonledger.com/staff/maria-lopez"},
        "publisher": {"@type": "NewsMediaOrganization", "name": "The Riverton Ledger"},
        "mainEntityOfPage": url,
    }
    head = (
        f'<head><meta charset="utf-8"><title>{escape(headline)} | The Riverton Ledger</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="canonical" href="{url}"><link rel="stylesheet" href="/assets/site.css">'
        + pg.style(".cookie-banner{position:fixed;bottom:0;z-index:99}.story-body p{line-height:1.6}")
        + _ld(ld)
        + pg.script(
            "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
            "gtag('config','G-RIVLEDGER',{page_type:'article',section:'local-government'});"
        )
        + "</head>"
    )
    cookie = (
        '<div class="cookie-banner" id="cookie-consent" role="dialog"><p>'
        + pg.c(
            "We use cookies to improve your experience and to show you personalised ads. "
            "By continuing to browse you agree to our use of cookies."
        )
        + f"</p><button>{pg.c('Accept all')}</button><button>{pg.c('Manage settings')}</button></div>"
    )
    menu = [
        ("Home", "/"),
        ("News", "/news/"),
        ("Sports", "/sports/"),
        ("Opinion", "/opinion/"),
        ("Obituaries", "/obituaries/"),
        ("Weather", "/weather/"),
        ("e-Edition", "/e-edition/"),
        ("Subscribe for $1 a week", "/subscribe/"),
    ]
    header = (
        f'<header class="site-header"><a class="logo" href="/">{pg.c("The Riverton Ledger")}</a>'
        f'<nav class="main-nav">{pg.links(menu)}</nav></header>'
    )
    story = [
        pg.p(
            "The Riverton City Council voted 6-1 on Monday night to spend $4.2 million repairing the Mill Street "
            "bridge, the 1958 steel span that has been closed to trucks since an inspection in October found "
            "corrosion on two of its four main girders."
        ),
        pg.p(
            "The money will come from the city's capital reserve fund and a $1.5 million state grant awarded in "
            "January. Work is expected to begin in late May and take about seven months, during which the bridge "
            "will be closed to all traffic except pedestrians.",
            {"state grant awarded in January": "/news/2025/01/17/state-bridge-grants/"},
        ),
        pg.p(
            "“We have patched this bridge for twenty years, and the patches are now the problem,” said "
            "Councilwoman Denise Harper, who chairs the public works committee. “Either we fix it properly now or "
            "we close it for good in five years.”"
        ),
        pg.comment("ad slot: article_mid_1 (rvl-dfp-300x250)"),
        '<aside class="subscribe-promo">'
        f"<h3>{pg.c('Support local journalism')}</h3>"
        f"<p>{pg.c('Subscribe to The Riverton Ledger today for just $1 a week for the first three months.')}</p>"
        f'<a class="button" href="/subscribe/">{pg.c("Subscribe now")}</a></aside>',
        pg.p(
            "The lone vote against the plan came from Councilman Rick Alvarez, who argued that the city should "
            "wait for a federal infrastructure grant that could cover up to 80 percent of the cost. “We are leaving "
            "money on the table,” Alvarez said. “Another year of detours is cheaper than $2.7 million of our own "
            "reserves.”"
        ),
        pg.p(
            "City engineer Paul Nakamura told the council that the October inspection rated the bridge's "
            "superstructure a 4 on the federal 0-to-9 scale, meaning “poor.” A rating of 3 would force the state "
            "to close the bridge entirely."
        ),
        pg.p("Detours and businesses", tag="h2"),
        pg.p(
            "During construction, traffic will be routed over the Elm Avenue bridge, adding roughly 1.3 miles to "
            "trips between the east side and downtown. Owners of several shops on Mill Street said they were "
            "worried about losing customers for most of the year."
        ),
        pg.p(
            "“Half my lunch crowd walks over from the east side, so they can still get here,” said Tom Becker, who "
            "has run Becker's Deli at 212 Mill Street since 1996. “It's the delivery trucks I'm worried about.”"
        ),
        pg.p(
            "The council also approved $80,000 for temporary signage and a shuttle bus that will run every 20 "
            "minutes between the two sides of the river on weekdays. The shuttle will stop at the Riverton "
            "Public Library, City Hall and the Eastgate Plaza parking lot."
        ),
        pg.p(
            "Bids for the project are due April 11. The council is scheduled to award the contract at its April 21 "
            "meeting, and residents can review the engineering plans at City Hall or on the city's website before "
            "then."
        ),
    ]
    related = [
        ("Elm Avenue bridge to get new lighting this summer", "/news/2025/02/20/elm-avenue-lighting/"),
        ("State awards $12 million in bridge grants to river towns", "/news/2025/01/17/state-bridge-grants/"),
        ("Opinion: Riverton can't keep patching its infrastructure", "/opinion/2025/02/02/patching/"),
    ]
    share = [("Share on Facebook", "#fb"), ("Share on X", "#x"), ("Email this story", "#mail")]
    article = (
        '<article class="story">'
        f'<div class="breadcrumbs">{pg.links([("Local Government", "/news/local-government/")])}</div>'
        f'<h1 class="headline">{escape(headline, quote=False)}</h1>'
        '<div class="byline">By <a href="/staff/maria-lopez" rel="author">Maria Lopez</a> | '
        '<time datetime="2025-03-04T21:40:00-05:00">March 4, 2025</time></div>'
        f'<div class="share">{pg.links(share, " ")}</div>'
        f'<div class="story-body">{"".join(story)}</div>'
        f'<section class="related"><h2>{pg.c("Related stories")}</h2><ul>{pg.items(related)}</ul></section>'
        "</article>"
    )
    newsletter = (
        f'<section class="newsletter"><h2>{pg.c("Get the Morning Ledger")}</h2>'
        f"<p>{pg.c('The day’s top Riverton stories, delivered to your inbox every weekday at 6 a.m.')}</p>"
        f'<form action="/newsletters/"><input type="email" placeholder="Your email address">'
        f"<button>{pg.c('Sign up')}</button></form></section>"
    )
    legal = [
        ("Privacy policy", "/privacy/"),
        ("Terms of use", "/terms/"),
        ("Contact us", "/contact/"),
        ("Advertise with us", "/advertise/"),
    ]
    footer = (
        '<footer class="site-footer">'
        f"<p>{pg.c('© 2025 The Riverton Ledger. All rights reserved.')}</p>"
        f"<p>{pg.links(legal, ' · ')}</p>"
        f"<p>{pg.c('312 Front Street, Riverton, (555) 014-2200')}</p></footer>"
    )
    tail = pg.script(
        "document.querySelectorAll('.cookie-banner button').forEach(function(b){b.onclick=function(){"
        "document.cookie='rvl_consent=1';b.parentNode.remove();};});"
    )
    html = (
        f'<!DOCTYPE html><html lang="en">{head}<body class="article-page">'
        f"{cookie}{header}<main>{article}{newsletter}</main>{footer}{tail}</body></html>"
    )
    truth = pg.truth(
        "local",
        title=headline,
        author="Maria Lopez",
        published=date(2025, 3, 4),
        source="The Riverton Ledger",
        url=url,
    )
    return html, truth


def _opengraph() -> tuple[str, PageTruth]:
    """A div-soup page whose only metadata is OpenGraph (title with " - Site" suffix)."""
    pg = _Page()
    headline = "Lakeside schools add 40 minutes to the day to make up for flood closures"
    url = "https://lakesidecourier.com/education/lakeside-schools-longer-day-flood-closures"
    head = (
        f"<head><meta charset='utf-8'><title>{escape(headline)} - Lakeside Courier</title>"
        f'<meta property="og:type" content="article"><meta property="og:title" content="{escape(headline)}">'
        '<meta property="og:site_name" content="Lakeside Courier">'
        f'<meta property="og:url" content="{url}">'
        '<meta property="og:description" content="The board chose a longer day over Saturday classes.">'
        '<meta property="og:image" content="https://lakesidecourier.com/img/school-bus-1200.jpg">'
        '<meta property="article:published_time" content="2025-02-11T07:30:00-05:00">'
        '<meta property="article:author" content="Priya Natarajan">'
        '<meta property="article:section" content="Education">'
        + pg.script("var _cq=_cq||[];_cq.push(['trackPageview','edu-lakeside-longer-day']);")
        + "</head>"
    )
    top = (
        '<div id="wrapper"><div class="top-bar">'
        f'<span class="date">{pg.c("Tuesday, February 11, 2025")}</span> '
        f'<a href="/login">{pg.c("Log in")}</a> <a href="/subscribe">{pg.c("Subscribe")}</a></div>'
        f'<div class="logo"><a href="/">{pg.c("Lakeside Courier")}</a></div>'
        '<div class="menu"><ul>'
        + pg.items(
            [
                ("Local", "/local"),
                ("Education", "/education"),
                ("Police & Courts", "/police"),
                ("High School Sports", "/sports"),
                ("Community Calendar", "/calendar"),
                ("Classifieds", "/classifieds"),
            ]
        )
        + "</ul></div>"
    )
    ad = f'<div class="ad-slot"><span class="ad-label">{pg.c("Advertisement")}</span><div id="gpt-ad-2"></div></div>'
    paras = [
        pg.p(
            "Students in the Lakeside Unified School District will stay in class 40 minutes longer each day from "
            "March 3 until the end of the school year, the school board decided Tuesday, after January's flooding "
            "closed every school in the district for eight days."
        ),
        pg.p(
            "State law requires 180 days of instruction. The board had considered adding Saturdays or pushing "
            "graduation back a week, but Superintendent Gloria Fenn said a longer school day was the only option "
            "that kept the June 13 graduation date and did not require renegotiating bus contracts."
        ),
        pg.p(
            "“Nobody loves this, but it's the least disruptive choice we have,” Fenn told the board. “Eight lost "
            "days is 3,840 minutes of instruction. Forty minutes a day over the remaining 72 school days gets us "
            "back 2,880 of them, and the state has agreed to waive the rest.”"
        ),
        ad,
        pg.p(
            "The extra time will be added to the end of the day at the district's two high schools and at the "
            "start of the day at its six elementary schools, so that buses can keep their current staggered "
            "routes. Lakeside Middle School will add 20 minutes at each end."
        ),
        pg.p(
            "Parents at the meeting were divided. Marcus Greene, whose two children attend Harbor Elementary, said "
            "the change would complicate child care for working families. “My kids get out at 3:10 now. At 3:50 "
            "I'm still at work and the after-school program is already full,” he said."
        ),
        pg.p(
            "Others welcomed the decision. “I'd rather my daughter get the teaching time than another week of "
            "worksheets in June,” said Ana Ruiz, a parent and volunteer at Lakeside High School."
        ),
        pg.p(
            "The district's after-school program, run by the Lakeside YMCA, will extend its hours to 6:30 p.m. and "
            "add 120 spots, said program director Keith Monroe. Families can register from Feb. 18.",
            {"Lakeside YMCA": "https://lakesideymca.org"},
        ),
        pg.p(
            "The teachers' union agreed to the longer day in exchange for a one-time payment of $1,150 per teacher, "
            "union president Helen Cho said. The payment will cost the district about $410,000, which will be "
            "covered by the state's emergency education fund."
        ),
    ]
    most_read = [
        ("Police identify driver in Route 7 crash", "/police/route-7-crash-driver"),
        ("Harbor Diner to close after 41 years", "/local/harbor-diner-closing"),
        ("Lakeside girls win regional swim title", "/sports/girls-swim-regional"),
        ("Water main break floods Pine Street basements", "/local/pine-street-water-main"),
    ]
    tags = [("Education", "/education"), ("Flooding", "/tag/flooding")]
    content = (
        '<div class="content"><div class="main-col">'
        f"<h1>{escape(headline, quote=False)}</h1>"
        '<div class="meta">Priya Natarajan · Feb. 11, 2025</div>'
        f'<div class="story-text">{"".join(paras)}</div>'
        f'<div class="tags">{pg.c("Filed under:")} {pg.links(tags, ", ")}</div>'
        "</div>"
        f'<div class="right-col"><h3>{pg.c("Most read")}</h3><ol>{pg.items(most_read)}</ol>{ad}'
        f'<div class="social">{pg.links([("Follow us on Facebook", "https://facebook.com/lakesidecourier")])}</div>'
        "</div></div>"
    )
    legal = [("About us", "/about"), ("Privacy", "/privacy"), ("Do not sell my personal information", "/ccpa")]
    footer = (
        '<div class="footer">'
        f"<p>{pg.c('Lakeside Courier, 88 Harbor Road, Lakeside. Copyright 2025 Courier Media LLC.')}</p>"
        f"<p>{pg.links(legal, ' | ')}</p>"
        "</div></div>"
    )
    html = f"<!DOCTYPE html><html>{head}<body>{top}{content}{footer}</body></html>"
    truth = pg.truth(
        "opengraph",
        title=headline,
        author="Priya Natarajan",
        published=date(2025, 2, 11),
        source="Lakeside Courier",
        url=url,
    )
    return html, truth


def _byline() -> tuple[str, PageTruth]:
    """A WordPress-style page: the byline is the story's first paragraph ("By Jane Roe"), the date a <time> in
    the post header, the title prefixed "Site: ", the site name only in og:site_name; no canonical URL."""
    pg = _Page()
    headline = "Millbrook library to stay open until 9 p.m. after volunteers step in"
    head = (
        f'<head><meta charset="UTF-8"><title>Millbrook Herald: {escape(headline)}</title>'
        '<meta property="og:site_name" content="Millbrook Herald">'
        "<link rel='stylesheet' id='twentytwenty-style-css' href='/wp-content/themes/herald/style.css' media='all'>"
        + pg.style("#masthead{background:#14213d}.entry-content p{margin:0 0 1.2em}")
        + "</head>"
    )
    masthead = (
        '<div id="page" class="site"><header id="masthead" class="site-header">'
        f'<p class="site-title"><a href="/" rel="home">{pg.c("Millbrook Herald")}</a></p>'
        f'<p class="site-description">{pg.c("News for Millbrook and the Valley since 1889")}</p>'
        '<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">'
        + pg.items(
            [
                ("Local", "/category/local/"),
                ("Schools", "/category/schools/"),
                ("Police & Fire", "/category/police-fire/"),
                ("Community", "/category/community/"),
                ("Events", "/events/"),
                ("Contact", "/contact/"),
            ]
        )
        + "</ul></nav></header>"
    )
    byline = "<p><strong>By Jane Roe</strong><br>Herald Staff Writer</p>"
    paras = [
        pg.p(
            "MILLBROOK — The Millbrook Public Library will keep its evening hours after all, thanks to a group of "
            "34 volunteers who have agreed to staff the circulation desk on weeknights from 5 to 9 p.m."
        ),
        pg.p(
            "The library's board of trustees had voted in November to close at 5 p.m. on weekdays starting Feb. 1, "
            "after the town cut the library's budget by $62,000, or about 11 percent. The cut eliminated two "
            "part-time clerk positions that covered the evening shifts.",
            {"voted in November": "/2024/11/14/library-trustees-vote-hours/"},
        ),
        pg.p(
            "Library director Samuel Okafor said the volunteers, most of them retired teachers and members of the "
            "Friends of the Millbrook Library, completed a six-hour training course this month on the library's "
            "checkout system and on helping patrons with the public computers."
        ),
        pg.p(
            "“Evenings are when working people and students can actually get here,” Okafor said. “Last year we "
            "checked out more than 18,000 items after 5 p.m. Closing then would have cut off a third of our users.”"
        ),
        pg.p(
            "The evening volunteers will not handle fines or new library cards, which still require a staff "
            "member. Patrons who need those services after 5 p.m. can use the self-service kiosk installed in the "
            "lobby last spring, Okafor said."
        ),
        pg.p(
            "Each volunteer has signed up for at least one four-hour shift a month. A paid librarian will remain on "
            "duty at the reference desk, funded by a $25,000 donation from the Millbrook Rotary Club, which will "
            "cover the position through June."
        ),
        pg.p(
            "Town Manager Lisa Brandt said the arrangement was a stopgap. “The volunteers are wonderful, but you "
            "can't run a public library on good will forever,” she said. The town's finance committee will take "
            "up next year's library budget on March 12."
        ),
        pg.p(
            "Volunteer coordinator Ruth Ellison, a retired fourth-grade teacher, said she had a waiting list of 11 "
            "more people. “People here love this library,” she said. “We didn't have to ask twice.”"
        ),
        pg.p(
            "The Friends group also plans a book sale on the library lawn in May, with the proceeds going toward "
            "restoring one of the two clerk positions."
        ),
    ]
    popular = [
        ("Snow emergency parking rules take effect Friday", "/2025/01/20/snow-emergency/"),
        ("Valley Regional boys stay unbeaten", "/2025/01/19/valley-regional-boys/"),
        ("New owners for the Millbrook Inn", "/2025/01/15/millbrook-inn-owners/"),
    ]
    tags = [("library", "/tag/library/"), ("budget", "/tag/budget/"), ("volunteers", "/tag/volunteers/")]
    previous = ("Previous: Select board roundup: plowing contract renewed", "/2025/01/21/select-board-roundup/")
    following = ("Next: Valley food drive tops its goal", "/2025/01/23/valley-food-drive/")
    notes = "Your email address will not be published. Required fields are marked *"
    main = (
        '<div id="content" class="site-content"><main id="main" class="site-main">'
        '<article id="post-4821" class="post type-post status-publish format-standard">'
        f'<header class="entry-header"><h1 class="entry-title">{escape(headline, quote=False)}</h1>'
        '<div class="entry-meta"><span class="posted-on">Posted on '
        '<time class="entry-date published" datetime="2025-01-22T08:00:00-05:00">January 22, 2025</time>'
        "</span></div></header>"
        f'<div class="entry-content">{byline}{"".join(paras)}</div>'
        f'<footer class="entry-footer"><span class="tags-links">{pg.c("Tagged")} '
        f"{pg.links(tags, ', ')}"
        "</span></footer></article>"
        '<nav class="navigation post-navigation"><div class="nav-links">'
        f'<div class="nav-previous">{pg.links([previous])}</div><div class="nav-next">{pg.links([following])}</div>'
        "</div></nav>"
        '<div id="comments" class="comments-area"><div id="respond" class="comment-respond">'
        f'<h3 id="reply-title" class="comment-reply-title">{pg.c("Leave a Reply")}</h3>'
        '<form action="/wp-comments-post.php" method="post" id="commentform">'
        f'<p class="comment-notes">{pg.c(notes)}</p>'
        f'<p class="comment-form-comment"><label for="comment">{pg.c("Comment")}</label>'
        '<textarea id="comment" name="comment"></textarea></p>'
        f'<p class="form-submit"><input name="submit" type="submit" value="Post Comment"></p></form></div></div>'
        "</main>"
        '<aside id="secondary" class="widget-area"><section class="widget widget_popular">'
        f'<h2 class="widget-title">{pg.c("Popular on Millbrook Herald")}</h2><ul>{pg.items(popular)}</ul></section>'
        "</aside></div>"
    )
    footer = (
        '<footer id="colophon" class="site-footer"><div class="site-info">'
        f"{pg.c('Millbrook Herald is published by Valley Media Group. © 2025. All rights reserved.')} "
        f"{pg.links([('Privacy Policy', '/privacy-policy/')])}</div></footer></div>"
        + pg.script('/* <![CDATA[ */ var heraldAds = {"slot":"sidebar-top","lazy":true}; /* ]]> */')
    )
    html = (
        f'<!doctype html><html lang="en-US">{head}<body class="post-template-default single single-post">'
        f"{pg.comment('wp:cache generated 2025-01-22 08:00:04')}{masthead}{main}{footer}</body></html>"
    )
    truth = pg.truth(
        "byline",
        title=headline,
        author="Jane Roe",
        published=date(2025, 1, 22),
        source="Millbrook Herald",
        url=None,
    )
    return html, truth


def _sidebars() -> tuple[str, PageTruth]:
    """An <article> between two rails of sections, ads, trending links and weather, with an in-story ad, a
    "Read more" link, reader comments, a relative canonical link and the title suffix " — Site"."""
    pg = _Page()
    headline = "Harborview fishermen brace for shorter cod season after quota cut"
    path = "/news/2025/04/17/cod-quota-cut-harborview"
    head = (
        f"<head><meta charset='utf-8'><title>{escape(headline)} — Harborview Times</title>"
        '<meta name="author" content="Alan Pierce">'
        '<meta name="description" content="The Gulf of Maine cod limit drops 22 percent this year.">'
        '<meta property="og:site_name" content="Harborview Times">'
        f'<link rel="canonical" href="{path}">'
        + pg.script("(function(){var s=document.createElement('script');s.src='//ads.example.net/tag.js';"
                    "document.head.appendChild(s);})();")
        + "</head>"
    )  # fmt: skip
    sections = [
        ("Top stories", "/"),
        ("Waterfront", "/waterfront/"),
        ("Town Hall", "/town-hall/"),
        ("Schools", "/schools/"),
        ("Obituaries", "/obituaries/"),
        ("Letters", "/letters/"),
    ]
    left = f'<aside class="left-rail"><h4>{pg.c("Sections")}</h4><ul>{pg.items(sections)}</ul></aside>'
    inline_ad = (
        f'<div class="ad ad-inline" data-slot="inline-1"><p class="ad-label">{pg.c("Advertisement")}</p>'
        f'<p class="ad-note">{pg.c("Story continues below")}</p></div>'
    )
    paras = [
        pg.p(
            "Commercial fishermen in Harborview will have 38 fewer days to catch cod this year after federal "
            "regulators cut the Gulf of Maine quota by 22 percent, a decision that local boat owners say could put "
            "several family operations out of business."
        ),
        pg.p(
            "The New England Fishery Management Council voted Wednesday to set this year's cod limit at 1,870 "
            "metric tons, down from 2,400 tons last year. The season, which opened on May 1 in recent years, will "
            "now open on June 8."
        ),
        pg.p(
            "“I've got a mortgage on the boat and two deckhands with kids,” said Joe Santos, 54, who fishes out of "
            "Harborview on the 42-foot Mary Catherine. “You take five weeks away from me and I don't know how I "
            "make the payments.”"
        ),
        inline_ad,
        pg.p(
            "Council scientists said surveys last fall found the lowest number of young cod since counts began in "
            "1982. “The population is not recovering at the rate we projected,” said Dr. Elaine Marsh, the "
            "council's lead biologist. “If we don't reduce pressure now, the cuts in three years will be far worse.”"
        ),
        f'<p class="read-more"><strong>{pg.c("Read more:")}</strong> '
        f"{pg.links([('Fish pier repairs delayed again until fall', '/news/2025/03/30/fish-pier-repairs/')])}</p>",
        pg.p(
            "Harborview's fleet has shrunk from 61 boats in 2005 to 23 today, according to the harbormaster's "
            "office. The town's fish pier handled 4.1 million pounds of seafood last year, worth about $11.6 "
            "million."
        ),
        pg.p(
            "State Rep. Carla Dunn, whose district includes Harborview, said she would ask the governor to request "
            "federal disaster relief for the fleet. A similar request in 2013 brought $32.8 million to fishermen "
            "across New England."
        ),
        pg.p(
            "Some captains are already looking elsewhere. Mike Teixeira said he would spend the first weeks of the "
            "season fishing for pollock and haddock, which are not under the same limits, and sell at the Portland "
            "auction if the local buyer would not take them."
        ),
        pg.p(
            "The Harborview Fishermen's Association will hold a meeting on the quota at the Grange Hall, 15 Water "
            "Street, on Tuesday at 7 p.m. Association president Linda Costa said representatives of the council "
            "had agreed to attend and answer questions."
        ),
    ]
    comments = [
        (
            "salty_dog_62",
            "Regulators have said the same thing since the 90s. The seals eat more cod than we ever caught.",
        ),
        ("HarborMom", "Praying for all our fishing families. Joe and his crew are good people."),
        (
            "j.whitcomb",
            "If the stock is at a record low, what else can they do? Close it for two years, let it come back.",
        ),
    ]
    comment_html = "".join(
        f'<div class="comment"><p class="comment-author">{pg.c(who)}</p><p class="comment-text">{pg.c(said)}</p>'
        f'<a class="reply" href="#reply">{pg.c("Reply")}</a></div>'
        for who, said in comments
    )
    article = (
        '<main class="main"><article class="article" itemscope itemtype="https://schema.org/NewsArticle">'
        f'<header><p class="kicker">{pg.c("Waterfront")}</p>'
        f'<h1 itemprop="headline">{escape(headline, quote=False)}</h1>'
        '<p class="byline">By Alan Pierce, Times Staff · '
        '<time itemprop="datePublished" datetime="2025-04-17T16:05:00Z">April 17, 2025</time></p></header>'
        f'<div class="article-body" itemprop="articleBody">{"".join(paras)}</div>'
        "</article>"
        f'<section id="comments" class="comments"><h2>{pg.c("3 comments")}</h2>{comment_html}'
        f'<p class="comment-policy">{pg.c("Comments are moderated. Be civil and stay on topic.")}</p></section>'
        "</main>"
    )
    trending = [
        ("Ferry fares rise 8 percent on June 1", "/news/2025/04/15/ferry-fares/"),
        ("Harborview High senior wins state science fair", "/schools/2025/04/12/science-fair/"),
        ("Letters: The harbor deserves better than a parking garage", "/letters/2025/04/14/garage/"),
    ]
    right = (
        '<aside class="right-rail">'
        f'<div class="ad ad-box" data-slot="rail-1"><p class="ad-label">{pg.c("Advertisement")}</p></div>'
        f'<div class="trending"><h4>{pg.c("Trending now")}</h4><ol>{pg.items(trending)}</ol></div>'
        f'<div class="weather">{pg.c("Harborview weather: 54°F, partly cloudy")}</div>'
        f'<div class="e-edition"><a href="/e-edition/">{pg.c("Read today’s e-Edition")}</a></div></aside>'
    )
    legal = [("Terms of Service", "/terms"), ("Privacy Notice", "/privacy"), ("Cookie Settings", "#cookies")]
    footer = (
        '<footer class="page-footer">'
        f"<p>{pg.c('Harborview Times · 9 Water Street · Harborview · Since 1872')}</p>"
        f"<p>{pg.links(legal, ' ')}</p>"
        "</footer>"
    )
    html = (
        f"<!DOCTYPE html><html lang='en'>{head}<body>"
        f'<div class="masthead"><a href="/">{pg.c("Harborview Times")}</a></div>'
        f'<div class="layout">{left}{article}{right}</div>{footer}</body></html>'
    )
    truth = pg.truth(
        "sidebars",
        title=headline,
        author="Alan Pierce",
        published=date(2025, 4, 17),
        source="Harborview Times",
        url=f"https://www.harborviewtimes.com{path}",
        fetch_url=f"https://www.harborviewtimes.com{path}?utm_source=newsletter&utm_medium=email",
    )
    return html, truth


def _liveblog() -> tuple[str, PageTruth]:
    """A live blog: timestamped entries, each with its own share link, newest first; JSON-LD
    LiveBlogPosting."""
    pg = _Page()
    headline = "Live updates: Storm knocks out power to 30,000 in Cedar County"
    url = "https://www.cedargazette.com/live/2025/11/02/storm-power-outages"
    ld = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "headline": headline,
        "url": url,
        "datePublished": "2025-11-02T06:15:00-05:00",
        "coverageStartTime": "2025-11-02T06:15:00-05:00",
        "author": [{"@type": "Person", "name": "Dana Whitfield"}],
        "publisher": {"@type": "Organization", "name": "Cedar County Gazette"},
    }
    head = (
        f"<head><meta charset='utf-8'><title>{escape(headline)} | Cedar County Gazette</title>"
        f'<link rel="canonical" href="{url}">{_ld(ld)}'
        + pg.script("setInterval(function(){fetch('/live/poll?since='+window.__lastEntry)},30000);")
        + "</head>"
    )
    entries = [
        ("12:30 p.m.", [
            "Northern Valley Electric says power has been restored to about 9,000 customers, mostly in Cedar Falls "
            "and Millport. About 25,600 remain without service. The utility asked residents to report downed lines "
            "by calling 1-800-555-0199 and not to approach them.",
        ]),
        ("11:45 a.m.", [
            "Route 12 has reopened between Cedar Falls and Millport after crews cleared two fallen oaks. Route 9 "
            "north of Dayton Road remains closed because of downed power lines.",
            "The sheriff's office said no serious injuries had been reported, though two people were treated for "
            "minor cuts after a tree fell on a car in Millport.",
        ]),
        ("10:30 a.m.", [
            "The National Weather Service measured the storm's strongest gust, 62 mph, at Cedar County Airport at "
            "2:14 a.m. Meteorologist Omar Haddad said winds would ease through the afternoon, with gusts of 25 to 30 "
            "mph expected until sunset.",
        ]),
        ("9:10 a.m.", [
            "A warming center has opened at the Cedar Falls Community Center, 400 Oak Street. It has cots for 80 "
            "people, hot meals and phone charging stations, said Red Cross volunteer Beth Lamont. Pets are welcome "
            "if they are in carriers.",
        ]),
        ("8:25 a.m.", [
            "The number of customers without power has risen to 34,600, Northern Valley Electric spokeswoman Tina "
            "Marsh said. She said the utility expects to restore power to most customers by Tuesday night, but some "
            "rural areas could be without electricity until Thursday.",
        ]),
        ("7:40 a.m.", [
            "All Cedar County public schools will be closed Monday, Superintendent Mark Ellery announced. Cedar "
            "County Community College also canceled classes, and the county courthouse will open two hours late.",
        ]),
        ("7:02 a.m.", [
            "Cedar County Sheriff Ray Holloway asked residents to stay off the roads until at least 10 a.m. “We have "
            "trees and wires down on almost every road north of Route 12,” Holloway said in a video message.",
        ]),
        ("6:15 a.m.", [
            "More than 30,000 homes and businesses in Cedar County were without power early Sunday after a storm "
            "brought wind gusts of up to 62 mph overnight, according to Northern Valley Electric. The utility said "
            "crews from three states were on their way.",
        ]),
    ]  # fmt: skip
    blocks = []
    for stamp, texts in entries:
        hour, rest = stamp.split(":")
        iso = f"2025-11-02T{int(hour) + (12 if 'p.m.' in rest and hour != '12' else 0):02d}:{rest[:2]}:00-05:00"
        blocks.append(
            '<div class="live-entry">'
            f'<time class="entry-time" datetime="{iso}">{stamp}</time>'
            f"{''.join(pg.p(t) for t in texts)}"
            f'<a class="share-entry" href="#entry-{hour}{rest[:2]}">{pg.c("Share this update")}</a></div>'
        )
    alerts = (
        f'<div class="alerts-box"><h3>{pg.c("Get breaking news alerts")}</h3>'
        f"<p>{pg.c('Text GAZETTE to 55123 for storm and school closing alerts. Message and data rates may apply.')}</p>"
        "</div>"
    )
    menu = [("News", "/news"), ("Weather", "/weather"), ("Sports", "/sports"), ("Obits", "/obits")]
    legal = [("Contact the newsroom", "/contact"), ("Corrections", "/corrections"), ("Privacy", "/privacy")]
    html = (
        f'<!DOCTYPE html><html lang="en">{head}<body>'
        f'<header><div class="brand"><a href="/">{pg.c("Cedar County Gazette")}</a></div>'
        f"<nav>{pg.links(menu, ' ')}</nav>"
        "</header>"
        '<main><div class="live-header"><span class="badge">{pg.c("LIVE")}</span>'
        f"<h1>{escape(headline, quote=False)}</h1>"
        '<p class="byline">Dana Whitfield, Gazette staff · Updated Nov. 2, 2025, 11:45 a.m.</p>'
        f'<p class="refresh">{pg.c("This page updates automatically. Refresh for the latest.")}</p></div>'
        f'<div class="live-feed">{"".join(blocks[:3])}{alerts}{"".join(blocks[3:])}</div></main>'
        f"<footer><p>{pg.c('© 2025 Cedar County Gazette, a Tri-County Media newspaper')}</p>"
        f"<p>{pg.links(legal, ' ')}</p>"
        "</footer></body></html>"
    )
    truth = pg.truth(
        "liveblog",
        title="Live updates: Storm knocks out power to 30,000 in Cedar County",
        author="Dana Whitfield",
        published=date(2025, 11, 2),
        source="Cedar County Gazette",
        url=url,
    )
    return html, truth


def _bare() -> tuple[str, PageTruth]:
    """An old hand-written page with no <head>, no metadata, a visible headline, and an accent typed
    decomposed (e + combining acute)."""
    pg = _Page()
    headline = "Westfield food pantry sees record demand"
    paras = [
        pg.p(
            "The Westfield Community Food Pantry served 1,214 households in September, the most in its 31-year "
            "history and nearly double the 640 it served in September two years ago, according to pantry director "
            "Helen Strauss."
        ),
        pg.p(
            "“We are seeing families who used to donate to us now coming in for groceries,” Strauss said. “Rent "
            "went up, child care went up, and food is the thing people can cut.”"
        ),
        pg.p(
            "The pantry, which operates out of the basement of First Methodist Church on Maple Street, is open "
            "Tuesdays and Saturdays. Volunteers handed out about 21 tons of food last month, much of it from the "
            "regional food bank in Springdale."
        ),
        pg.p(
            "To keep up, the pantry has added a Thursday evening distribution from 5 to 7 p.m. beginning Oct. 9, "
            "and is asking for donations of peanut butter, canned tuna, cooking oil and diapers, which Strauss said "
            "run out first."
        ),
        pg.p(
            "Local businesses have stepped in as well. Westfield Hardware owner Dave Kowalski donated a second "
            "walk-in freezer, the Westfield Lions Club raised $8,400 at its September pancake breakfast, and Café "
            "Rosa on Main Street now gives the pantry its unsold bread and pastries every evening."
        ),
        pg.p(
            "Strauss said the pantry's biggest need is people. Most of its 45 regular volunteers are over 70, and "
            "the Saturday shift, which starts at 8 a.m. with unloading the food bank truck, is often short-handed."
        ),
        pg.p(
            "The pantry does not ask for proof of income. Anyone who lives in Westfield or the neighboring towns of "
            "Ashby and North Crane can visit once a week, and volunteers deliver boxes to homebound residents who "
            "call ahead."
        ),
        pg.p(
            "Strauss said she expects demand to rise again in November, when heating bills arrive. Last winter the "
            "pantry ran out of canned vegetables twice and had to buy them at retail prices."
        ),
        pg.p(
            "Volunteers are needed, especially on Saturday mornings. Anyone interested can call the pantry at "
            "555-0148 or stop by during open hours."
        ),
    ]
    markup = "".join(paras).replace("Café", "Cafe\u0301")
    menu = [
        ("Home", "index.html"),
        ("Town news", "news.html"),
        ("Church bulletins", "bulletins.html"),
        ("Contact", "contact.html"),
    ]
    html = (
        "<html><body bgcolor='#ffffff'>"
        f'<div id="top"><b>{pg.c("Westfield Community News")}</b></div>'
        f"<p>{pg.links(menu, ' | ')}</p>"
        f"<hr><h1>{headline}</h1>{markup}<hr>"
        f'<p><a href="#top">{pg.c("Back to top")}</a></p>'
        f"<p><small>{pg.c('This page is maintained by volunteers of the Westfield Civic Association.')}</small></p>"
        "</body></html>"
    )
    truth = pg.truth("bare", title=headline, author=None, published=None, source=None, url=None)
    return html, truth


_KINDS = {
    "local": _local,
    "opengraph": _opengraph,
    "byline": _byline,
    "sidebars": _sidebars,
    "liveblog": _liveblog,
    "bare": _bare,
}
KINDS = tuple(_KINDS)


def news_page(kind: str) -> tuple[str, PageTruth]:
    """The HTML of one page layout (one of :data:`KINDS`) and what is true about it."""
    return _KINDS[kind]()


def all_pages() -> list[tuple[str, PageTruth]]:
    return [news_page(kind) for kind in KINDS]

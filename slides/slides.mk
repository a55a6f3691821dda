# slides/slides.mk - `make slides`: every lecture deck (slides/NN-*.md, one per
# chapter) rendered to HTML in build/slides/ with Marp.
#
# Marp CLI is an npm package, pinned in slides/package.json and
# slides/package-lock.json; the first `make slides` installs it into
# slides/node_modules with `npm ci` (once: build/.marp-ok). No browser is
# downloaded: Marp needs none to write HTML. The benchmark plots of
# `make bench` (build/bench/*.png) are copied to build/slides/bench/, where
# the chapter 8 deck looks for them; without them that deck says to run
# `make bench`.

SLIDE_DECKS := $(sort $(wildcard slides/[0-9][0-9]-*.md))
SLIDE_HTML  := $(SLIDE_DECKS:slides/%.md=$(BUILD)/slides/%.html)
SLIDE_THEME := slides/theme.css
MARP        := slides/node_modules/.bin/marp
MARP_STAMP  := $(BUILD)/.marp-ok
NO_BROWSER_DOWNLOAD := PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1

# Installed again when the pinned versions change, or when node_modules is gone.
$(MARP_STAMP): slides/package.json slides/package-lock.json $(if $(wildcard $(MARP)),,FORCE_MARP) | $(DEPS_STAMP)
	@command -v npm >/dev/null 2>&1 || { \
	    echo "make slides: needs Node.js and npm (node 18 or newer) to install Marp CLI" >&2; exit 1; }
	$(call say,NPM,"ci (slides/: Marp CLI)")
	$(Q)cd slides && $(NO_BROWSER_DOWNLOAD) npm ci --no-audit --no-fund --loglevel=error
	$(Q)mkdir -p $(BUILD) && touch $@

.PHONY: FORCE_MARP
FORCE_MARP:

$(BUILD)/slides/%.html: slides/%.md $(SLIDE_THEME) $(MARP_STAMP)
	$(call say,MARP,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(NO_BROWSER_DOWNLOAD) $(MARP) --no-stdin --no-config-file --theme-set $(SLIDE_THEME) \
	    -o $@ $< >$@.log 2>&1 || { cat $@.log >&2; rm -f $@ $@.log; exit 1; }
	$(Q)rm -f $@.log

.PHONY: slides
slides: $(SLIDE_HTML)
	$(Q)rm -rf $(BUILD)/slides/bench && mkdir -p $(BUILD)/slides/bench
	$(Q)for p in $(BUILD)/bench/*.png; do [ ! -f "$$p" ] || cp "$$p" $(BUILD)/slides/bench/; done
	@echo "slides: $(words $(SLIDE_HTML)) decks in $(BUILD)/slides/ (open $(BUILD)/slides/00-introduction.html)"

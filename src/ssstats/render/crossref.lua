--[[
crossref.lua: Quarto-style figures, tables and cross-references for plain pandoc (ssstats' built-in renderer).

  * A div `::: {#fig-x}` becomes a pandoc Figure with id fig-x; its last paragraph (when it holds no image) is the
    caption.  An image attribute `fig-alt` becomes the image's alt text.
  * A div `::: {#tbl-x tbl-cap="..."}` holding a table gives the table the id (and the caption, if it has none).
  * Figures with a `fig-` id and tables with a `tbl-` id are numbered in document order; in HTML the caption is
    prefixed "Figure N: " / "Table N: " (Typst numbers its figures itself).
  * In Typst, a wide table without column widths gets widths by the length of its longest cells.
  * `@fig-x`, `@tbl-x` and `@sec-x` citations become links reading "Figure N", "Table N", "Section N" (the section
    number when sections are numbered, else the heading's text).  An unknown `@fig-`/`@tbl-`/`@sec-` reference
    is written as "?@fig-x" in bold and reported on stderr, as Quarto does.

Run it before --citeproc, so that citeproc never sees the cross-references.
]]

local stringify = pandoc.utils.stringify
local KINDS = { fig = "Figure", tbl = "Table", sec = "Section" }
local refs = {}         -- id -> text of a reference ("Figure 2")
local count = { fig = 0, tbl = 0 }
local is_html = FORMAT:match("html") ~= nil

local function prefix_of(id)
  return id and id:match("^(%a+)%-")
end

local function has_image(block)
  local found = false
  pandoc.walk_block(block, { Image = function() found = true end })
  return found
end

-- pass 1: Quarto figure and table divs -> pandoc figures and identified tables; fig-alt -> alt text
local function convert_divs(doc)
  return doc:walk({
    Image = function(img)
      local alt = img.attributes["fig-alt"]
      if alt then
        img.caption = pandoc.Inlines(alt)
        img.attributes["fig-alt"] = nil
        return img
      end
    end,
    Div = function(div)
      local kind = prefix_of(div.identifier)
      if kind == "fig" then
        local content = pandoc.List(div.content)
        local caption = {}
        local last = content[#content]
        if #content > 1 and last and (last.t == "Para" or last.t == "Plain") and not has_image(last) then
          caption = { pandoc.Plain(last.content) }
          content:remove(#content)
        end
        -- a paragraph holding only an image inside a figure is a Plain block, as pandoc writes implicit figures
        content = content:map(function(b)
          if b.t == "Para" then return pandoc.Plain(b.content) end
          return b
        end)
        return pandoc.Figure(content, caption, pandoc.Attr(div.identifier, div.classes, {}))
      elseif kind == "tbl" then
        local tables = 0
        pandoc.walk_block(div, { Table = function() tables = tables + 1 end })
        if tables ~= 1 then return nil end
        local cap = div.attributes["tbl-cap"]
        local id = div.identifier
        local blocks = div.content:walk({
          Table = function(t)
            t.identifier = id
            if cap and #t.caption.long == 0 then
              t.caption.long = { pandoc.Plain(pandoc.Inlines(cap)) }
            end
            return t
          end,
        })
        return blocks
      end
    end,
  })
end

-- number a figure or table whose id starts with `kind`-; in HTML, prefix its caption with "Word N: "
local function label_caption(el, kind, word)
  if prefix_of(el.identifier) ~= kind then return nil end
  count[kind] = count[kind] + 1
  local text = word .. " " .. count[kind]
  refs[el.identifier] = text
  if not is_html then return nil end
  local cap = el.caption.long
  local label = pandoc.Inlines(text .. (#cap > 0 and ": " or ""))
  if #cap > 0 and cap[1].content then
    cap[1].content = label .. cap[1].content
  else
    cap = { pandoc.Plain(label) }
  end
  el.caption.long = cap
  return el
end

-- pass 2: number figures, tables and sections in document order
local function number(doc)
  local numbered = PANDOC_WRITER_OPTIONS and PANDOC_WRITER_OPTIONS.number_sections
  local levels = {}
  return doc:walk({
    traverse = "topdown",
    Header = function(h)
      if h.classes:includes("unnumbered") then
        if h.identifier ~= "" then refs[h.identifier] = stringify(h.content) end
        return nil
      end
      levels[h.level] = (levels[h.level] or 0) + 1
      for l = h.level + 1, 6 do levels[l] = nil end
      local parts = {}
      for l = 1, h.level do parts[#parts + 1] = tostring(levels[l] or 0) end
      if h.identifier ~= "" then
        refs[h.identifier] = numbered and ("Section " .. table.concat(parts, ".")) or stringify(h.content)
      end
    end,
    Figure = function(fig) return label_caption(fig, "fig", "Figure") end,
    Table = function(t) return label_caption(t, "tbl", "Table") end,
  })
end

-- pass 3: @fig-x, @tbl-x and @sec-x -> links; ordinary citations in the same Cite are left to citeproc
local function resolve(doc)
  return doc:walk({
    Cite = function(cite)
      local out = pandoc.Inlines({})
      local others = pandoc.List({})
      local n = 0
      for _, c in ipairs(cite.citations) do
        if KINDS[prefix_of(c.id)] then
          if n > 0 then out:insert(pandoc.Str(",")); out:insert(pandoc.Space()) end
          n = n + 1
          out:extend(c.prefix)
          if #c.prefix > 0 then out:insert(pandoc.Space()) end
          local text = refs[c.id]
          if text then
            out:insert(pandoc.Link(text, "#" .. c.id))
          else
            io.stderr:write("WARNING (crossref.lua): unresolved cross-reference @" .. c.id .. "\n")
            out:insert(pandoc.Strong(pandoc.Inlines("?@" .. c.id)))
          end
          out:extend(c.suffix)
        else
          others:insert(c)
        end
      end
      if n == 0 then return nil end -- only ordinary citations
      if #others > 0 then
        if others[1].mode == "AuthorInText" and n > 0 then others[1].mode = "NormalCitation" end
        out:insert(pandoc.Space())
        out:insert(pandoc.Cite(pandoc.Inlines({}), others))
      end
      return out
    end,
  })
end

-- Typst: a wide table without column widths gets widths by the length of its longest cell (capped), where
-- Typst's auto columns would share the page evenly and wrap the short columns
local function width_tables(doc)
  if FORMAT ~= "typst" then return doc end
  return doc:walk({
    Table = function(t)
      for _, spec in ipairs(t.colspecs) do
        if type(spec[2]) == "number" then return nil end -- widths already set
      end
      local longest = {}
      local function measure(rows)
        for _, row in ipairs(rows) do
          for i, cell in ipairs(row.cells) do
            longest[i] = math.max(longest[i] or 0, #stringify(cell.contents))
          end
        end
      end
      measure(t.head.rows)
      for _, body in ipairs(t.bodies) do measure(body.body) end
      local total = 0
      for i = 1, #t.colspecs do
        longest[i] = math.min(longest[i] or 0, 40) + 3
        total = total + longest[i]
      end
      if total < 90 then return nil end -- fits on a line: Typst's auto widths are best
      for i, spec in ipairs(t.colspecs) do
        t.colspecs[i] = { spec[1], longest[i] / total }
      end
      return t
    end,
  })
end

function Pandoc(doc)
  return width_tables(resolve(number(convert_divs(doc))))
end
